/**
 * One consumer of the event hub with its own bounded queue. Batches go straight to the sink
 * while it keeps up; while it signals backpressure they queue here, and once the queue holds
 * more than its byte limit the consumer is cut off. So a slow client never stalls the others,
 * and what it costs is bounded (queued batches are shared with the other subscribers anyway).
 */
import { batchOf, type Batch, type Delivery, type StreamEnd } from './streamEvent.js';
import type { TagFilter } from './tagFilter.js';

export interface EventSink {
  /** Take a batch; false when full, and nothing more comes until `Subscription.resume()`. */
  deliver(batch: Batch): boolean;
  /** The server ends the stream: the subscription is already cancelled; say why and close. */
  terminate(reason: StreamEnd): void;
}

export interface SubscriptionOptions {
  filter: TagFilter;
  maxQueuedBytes: number;
  /** Events up to this id have been seen (or are not wanted). */
  after: number;
  onClose(subscription: Subscription): void;
  /** Told of every batch handed to the sink. */
  onDeliver(batch: Batch): void;
}

export class Subscription {
  private readonly queue: (Batch | undefined)[] = [];
  private head = 0;
  private queuedBytes = 0;
  private blocked = false;
  private draining = false;
  private active = true;
  private after: number;

  constructor(
    private readonly sink: EventSink,
    private readonly options: SubscriptionOptions,
  ) {
    this.after = options.after;
  }

  offer(batch: Batch): void {
    if (!this.active) return;
    const own = this.select(batch);
    if (!own) return;
    if (!this.blocked && this.head === this.queue.length) {
      this.handOver(own);
      return;
    }
    this.queue.push(own);
    this.queuedBytes += own.bytes;
    if (this.queuedBytes > this.options.maxQueuedBytes) this.end('overflow');
  }

  /** The sink has room again: hand it what queued meanwhile. */
  resume(): void {
    // A sink may ask for more from inside deliver(); the loop below already takes care of that.
    if (this.draining) return;
    this.draining = true;
    this.blocked = false;
    while (this.active && !this.blocked && this.head < this.queue.length) {
      const batch = this.queue[this.head] as Batch;
      this.queue[this.head++] = undefined;
      this.queuedBytes -= batch.bytes;
      this.handOver(batch);
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    this.draining = false;
  }

  /** Stop without a word to the sink (the client went away, or the sink ends itself). */
  cancel(): void {
    if (!this.active) return;
    this.active = false;
    this.queue.length = 0;
    this.head = 0;
    this.queuedBytes = 0;
    this.options.onClose(this);
  }

  /** Stop and have the sink tell its client why. */
  end(reason: StreamEnd): void {
    if (!this.active) return;
    this.cancel();
    this.sink.terminate(reason);
  }

  private handOver(batch: Batch): void {
    this.options.onDeliver(batch);
    this.blocked = !this.sink.deliver(batch);
  }

  /**
   * This subscriber's part of a batch: events it has not seen that pass its filter, and every
   * notice. The batch itself when nothing is left out, so its encoding can be shared.
   */
  private select(batch: Batch): Batch | undefined {
    let kept: Delivery[] | undefined;
    const { items } = batch;
    for (let index = 0; index < items.length; index++) {
      const item = items[index] as Delivery;
      let wanted = true;
      if (item.kind === 'event') {
        wanted = item.id > this.after && this.options.filter(item.tag);
        if (item.id > this.after) this.after = item.id;
      }
      if (!wanted && !kept) kept = items.slice(0, index);
      else if (wanted && kept) kept.push(item);
    }
    if (!kept) return batch;
    return kept.length > 0 ? batchOf(kept) : undefined;
  }
}
