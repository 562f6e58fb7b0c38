/**
 * Numbers bus events and keeps the most recent ones for `Last-Event-ID` replay.
 *
 * Ids increase by one per event. The first id is the process start time in microseconds, so an
 * id handed out by an earlier run or by another API process falls outside this run's range and
 * is recognised as unknown, instead of replaying events the client never asked for.
 */
import type { SaltMap } from '../salt/types.js';
import { StreamEvent } from './streamEvent.js';

export interface Replay {
  /** The kept events after the given id, oldest first. */
  events: StreamEvent[];
  /** Events after the given id that are no longer kept. */
  missed: number;
}

export class EventRing {
  private readonly slots: StreamEvent[];
  private nextId: number;

  constructor(
    private readonly capacity: number,
    private readonly firstId = Date.now() * 1000,
  ) {
    this.slots = new Array<StreamEvent>(capacity);
    this.nextId = firstId;
  }

  /** The id of the newest event (one less than the first id before any event). */
  get lastId(): number {
    return this.nextId - 1;
  }

  add(tag: string, data: SaltMap): StreamEvent {
    const event = new StreamEvent(this.nextId++, tag, data);
    if (this.capacity > 0) this.slots[event.id % this.capacity] = event;
    return event;
  }

  /** What follows `lastId`; undefined when this run never handed out that id. */
  since(lastId: number): Replay | undefined {
    if (!Number.isSafeInteger(lastId) || lastId < this.firstId - 1 || lastId > this.lastId) return undefined;
    const oldestKept = Math.max(this.firstId, this.nextId - this.capacity);
    const from = Math.max(lastId + 1, oldestKept);
    const events: StreamEvent[] = [];
    for (let id = from; id < this.nextId; id++) events.push(this.slots[id % this.capacity] as StreamEvent);
    return { events, missed: from - lastId - 1 };
  }
}
