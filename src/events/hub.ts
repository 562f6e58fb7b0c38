/**
 * The fan-out of the master bus to this process's event streams. It taps the one bus
 * subscription of the process (EventBus), numbers events in a ring for replay and hands them
 * to every subscriber. Events that arrive together (one read of the bus socket) are handed out
 * as one batch on the next turn of the event loop, so a burst costs each client one write
 * instead of one per event.
 */
import type { EventFrame } from '../salt/types.js';
import { EventRing } from './ring.js';
import { batchOf, type Batch, type Delivery } from './streamEvent.js';
import { Subscription, type EventSink } from './subscription.js';
import type { TagFilter } from './tagFilter.js';

/** The part of EventBus the hub uses. */
export interface BusFeed {
  readonly connected: boolean;
  tap(handler: (event: EventFrame, bytes: number) => void): () => void;
  on(event: 'up' | 'down', listener: () => void): unknown;
  off(event: 'up' | 'down', listener: () => void): unknown;
}

/** Told how many bus events went out to subscribers (for /metrics). */
export interface HubObserver {
  delivered(events: number): void;
}

export interface HubOptions {
  /** Recent events kept for Last-Event-ID replay (`events_ring_size`). */
  ringSize: number;
  /** Wire bytes of the events the ring may hold (`events_ring_bytes`). */
  ringBytes: number;
  /** Bytes a subscriber may fall behind before it is cut off. */
  maxQueuedBytes?: number;
  observer?: HubObserver;
}

export interface SubscribeOptions {
  filter: TagFilter;
  /** The client's Last-Event-ID, if it sent one: replay what followed it. */
  lastEventId?: number;
}

/**
 * A client this far behind is not catching up during a burst; cutting it off bounds what it
 * holds. Large enough for a few thousand typical events, or a few big state returns.
 */
const DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024;

export class EventHub {
  private readonly ring: EventRing;
  private readonly subscriptions = new Set<Subscription>();
  private readonly maxQueuedBytes: number;
  private readonly onDeliver: (batch: Batch) => void;
  private pending: Delivery[] = [];
  private flushTimer?: NodeJS.Immediate;
  private closed = false;
  private readonly untap: () => void;
  private readonly onUp = () => this.enqueue({ kind: 'bus', up: true });
  private readonly onDown = () => this.enqueue({ kind: 'bus', up: false });

  constructor(
    private readonly bus: BusFeed,
    options: HubOptions,
  ) {
    this.ring = new EventRing(options.ringSize, options.ringBytes);
    this.maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    const { observer } = options;
    this.onDeliver = observer ? (batch) => observer.delivered(batch.events) : () => {};
    this.untap = bus.tap((frame, bytes) => this.enqueue(this.ring.add(frame.tag, frame.data, bytes)));
    bus.on('up', this.onUp);
    bus.on('down', this.onDown);
  }

  /** Streams currently subscribed. */
  get size(): number {
    return this.subscriptions.size;
  }

  /**
   * Start delivering to `sink`: first a notice if the bus is down, then the replay after
   * `lastEventId`, then live events. Undefined once the hub is closed (server shutting down).
   */
  subscribe(sink: EventSink, options: SubscribeOptions): Subscription | undefined {
    if (this.closed) return undefined;
    const intro: Delivery[] = [];
    if (!this.bus.connected) intro.push({ kind: 'bus', up: false });
    let after = this.ring.lastId;
    if (options.lastEventId !== undefined) {
      const replay = this.ring.since(options.lastEventId);
      if (replay) {
        after = options.lastEventId;
        if (replay.missed > 0) intro.push({ kind: 'missed', count: replay.missed });
        intro.push(...replay.events);
      } else {
        intro.push({ kind: 'unknown-id' });
      }
    }
    const subscription = new Subscription(sink, {
      filter: options.filter,
      maxQueuedBytes: this.maxQueuedBytes,
      after,
      onClose: (closed) => this.subscriptions.delete(closed),
      onDeliver: this.onDeliver,
    });
    this.subscriptions.add(subscription);
    if (intro.length > 0) subscription.offer(batchOf(intro));
    return subscription;
  }

  /** End every stream (they say the server is shutting down) and let go of the bus. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.pending = [];
    this.untap();
    this.bus.off('up', this.onUp);
    this.bus.off('down', this.onDown);
    for (const subscription of [...this.subscriptions]) subscription.end('shutdown');
  }

  private enqueue(item: Delivery): void {
    // With nobody listening there is nothing to render; the ring still keeps events for replay.
    if (this.closed || this.subscriptions.size === 0) return;
    this.pending.push(item);
    this.flushTimer ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushTimer = undefined;
    const batch = batchOf(this.pending);
    this.pending = [];
    for (const subscription of this.subscriptions) subscription.offer(batch);
  }
}
