/**
 * What event streams (SSE and WebSocket) hand out: numbered bus events, notices about the bus and
 * about replay, and the reasons a stream ends. Transport-neutral; each transport frames them.
 */
import { renderJson } from '../../serializers/json.js';
import type { SaltMap } from '../salt/types.js';

/** One event of the master bus, numbered by this process. */
export class StreamEvent {
  readonly kind = 'event';
  #json: string | null | undefined;

  constructor(
    readonly id: number,
    readonly tag: string,
    readonly data: SaltMap,
  ) {}

  /**
   * `{"data": …, "tag": …}` as salt-api renders it, computed once however many clients get it.
   * Null when the data cannot be JSON (a value msgpack decoded into a Date, say): streams skip
   * such an event instead of breaking off, as salt-api did.
   */
  get json(): string | null {
    if (this.#json === undefined) {
      try {
        this.#json = renderJson({ data: this.data, tag: this.tag });
      } catch {
        this.#json = null;
      }
    }
    return this.#json;
  }
}

/** Something a stream reports in order with its events. */
export type Notice =
  /** The master bus connection dropped (`up: false`) or is back (`up: true`). */
  | { readonly kind: 'bus'; readonly up: boolean }
  /** Events after the client's Last-Event-ID fell out of the ring before it came back. */
  | { readonly kind: 'missed'; readonly count: number }
  /** The Last-Event-ID is not one this process handed out (restart, other process): no replay. */
  | { readonly kind: 'unknown-id' };

export type Delivery = StreamEvent | Notice;

/** Deliveries handed to a subscriber in one go, with their approximate size in bytes. */
export interface Batch {
  readonly items: readonly Delivery[];
  readonly bytes: number;
  /** How many of the items are bus events (the rest are notices). */
  readonly events: number;
}

/** What one delivery costs a subscriber's queue: its JSON plus framing. */
const FRAMING_BYTES = 64;

export function batchOf(items: readonly Delivery[]): Batch {
  let bytes = 0;
  let events = 0;
  for (const item of items) {
    bytes += FRAMING_BYTES;
    if (item.kind !== 'event') continue;
    bytes += item.tag.length + (item.json?.length ?? 0);
    events++;
  }
  return { items, bytes, events };
}

/** Why the server ends a stream. */
export type StreamEnd = 'overflow' | 'shutdown' | 'expired' | 'revoked';

/** Why the server cut a client off: a stream end, or (WebSocket) a ping left unanswered. */
export type StreamCutOff = StreamEnd | 'unresponsive';

const END_MESSAGES: Record<StreamEnd, string> = {
  overflow: 'closing: client too slow, too many events queued for it',
  shutdown: 'closing: server shutting down',
  expired: 'closing: token expired',
  revoked: 'closing: token no longer valid (logged out)',
};

/** The text a stream's last words carry (short enough for a WebSocket close reason). */
export function describeEnd(reason: StreamEnd): string {
  return END_MESSAGES[reason];
}
