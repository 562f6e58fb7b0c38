/**
 * Numbers bus events and keeps the most recent ones for `Last-Event-ID` replay.
 *
 * Ids increase by one per event. The first id is the process start time in microseconds, so an
 * id handed out by an earlier run or by another API process falls outside this run's range and
 * is recognised as unknown, instead of replaying events the client never asked for.
 *
 * The ring is bounded by count and by the events' size on the wire: one `GET /jobs/<jid>` of a
 * big fleet is a single event of tens of megabytes, whose decoded data would otherwise stay in
 * memory until that many more events had passed. An event bigger than the whole budget is handed
 * out live but not kept; a client that asks for it later is told it missed it.
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
  private readonly slots: Array<StreamEvent | undefined>;
  private readonly sizes: number[];
  private nextId: number;
  /** The oldest id still kept; `nextId` when none is. */
  private oldestKept: number;
  private keptBytes = 0;

  constructor(
    private readonly capacity: number,
    private readonly maxBytes = Infinity,
    private readonly firstId = Date.now() * 1000,
  ) {
    this.slots = new Array<StreamEvent | undefined>(capacity);
    this.sizes = new Array<number>(capacity).fill(0);
    this.nextId = firstId;
    this.oldestKept = firstId;
  }

  /** The id of the newest event (one less than the first id before any event). */
  get lastId(): number {
    return this.nextId - 1;
  }

  /** Number an event of `bytes` wire bytes and keep it while the ring's bounds allow. */
  add(tag: string, data: SaltMap, bytes = 0): StreamEvent {
    const event = new StreamEvent(this.nextId++, tag, data);
    if (this.capacity === 0) {
      this.oldestKept = this.nextId;
      return event;
    }
    if (event.id - this.oldestKept >= this.capacity) this.dropOldest();
    const slot = event.id % this.capacity;
    this.slots[slot] = event;
    this.sizes[slot] = bytes;
    this.keptBytes += bytes;
    while (this.keptBytes > this.maxBytes) this.dropOldest();
    return event;
  }

  /** What follows `lastId`; undefined when this run never handed out that id. */
  since(lastId: number): Replay | undefined {
    if (!Number.isSafeInteger(lastId) || lastId < this.firstId - 1 || lastId > this.lastId) return undefined;
    const from = Math.max(lastId + 1, this.oldestKept);
    const events: StreamEvent[] = [];
    for (let id = from; id < this.nextId; id++) events.push(this.slots[id % this.capacity] as StreamEvent);
    return { events, missed: from - lastId - 1 };
  }

  private dropOldest(): void {
    const slot = this.oldestKept % this.capacity;
    this.keptBytes -= this.sizes[slot] ?? 0;
    this.slots[slot] = undefined;
    this.sizes[slot] = 0;
    this.oldestKept++;
  }
}
