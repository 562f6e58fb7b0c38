/**
 * `GET /events` as Server-Sent Events, byte-compatible with salt-api (http-api.md §7.15):
 *
 *     retry: 400\n                  once, first, with no blank line after it
 *     tag: <tag>\n
 *     data: {"data": {…, "_stamp": "…"}, "tag": "<tag>"}\n
 *     id: <n>\n                     ours: after data, so tag and data stay adjacent as salt-api
 *     \n                                  clients expect; EventSource takes the id for the block
 *
 * Beyond salt-api, comment blocks (`: <text>\n\n`, ignored by EventSource) report heartbeats,
 * bus outages, replay gaps and why the server ends a stream.
 */
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { TokenAuthority } from '../salt/tokens.js';
import type { SaltToken } from '../salt/types.js';
import type { EventHub } from './hub.js';
import { describeEnd, type Batch, type Delivery, type StreamCutOff, type StreamEnd } from './streamEvent.js';
import type { EventSink, Subscription } from './subscription.js';
import type { TagFilter } from './tagFilter.js';
import { watchToken } from './tokenWatch.js';

export const SSE_CONTENT_TYPE = 'text/event-stream;charset=utf-8';

const PREAMBLE = 'retry: 400\n';
const HEARTBEAT = ': heartbeat\n\n';
/** What the stream buffers before it tells the hub to queue instead. */
const HIGH_WATER_MARK = 64 * 1024;
/** How long a client gets to read our last words before its connection is cut. */
const DRAIN_GRACE_MS = 10_000;

export function sseComment(text: string): string {
  return `: ${text}\n\n`;
}

/** A line break in a tag would end the `tag:` line early; the data line has the exact tag anyway. */
function tagLine(tag: string): string {
  return /[\r\n]/.test(tag) ? tag.replace(/\r/g, '\\r').replace(/\n/g, '\\n') : tag;
}

function frame(item: Delivery): string {
  switch (item.kind) {
    case 'event': {
      const { json } = item;
      if (json === null) return sseComment(`event ${item.id} skipped: its data cannot be encoded as JSON`);
      return `tag: ${tagLine(item.tag)}\ndata: ${json}\nid: ${item.id}\n\n`;
    }
    case 'bus':
      return sseComment(item.up ? 'master event bus connected' : 'master event bus disconnected; events are lost until it is back');
    case 'missed':
      return sseComment(`${item.count} events after Last-Event-ID are no longer kept and cannot be replayed`);
    case 'unknown-id':
      return sseComment('Last-Event-ID is not from this server process; nothing replayed');
  }
}

/** Batches are shared by every subscriber that takes all of them, and so is their encoding. */
const encoded = new WeakMap<Batch, Buffer>();

function encode(batch: Batch): Buffer {
  let bytes = encoded.get(batch);
  if (!bytes) {
    bytes = Buffer.from(batch.items.map(frame).join(''), 'utf8');
    encoded.set(batch, bytes);
  }
  return bytes;
}

export interface SseStreamOptions {
  hub: EventHub;
  filter: TagFilter;
  lastEventId?: number;
  /** Milliseconds between heartbeat comments; 0 for none. */
  heartbeatMs: number;
  tokens: TokenAuthority;
  token: SaltToken;
  /** The response the stream is piped into (to close the connection after our last words). */
  response: ServerResponse;
  /** Called once when the stream is over, however it ended. */
  onClose(): void;
  /** Called when the server ends the stream, with the reason. */
  onCutOff(reason: StreamCutOff): void;
}

/** The response body of one SSE client: a Readable fed by the hub, with backpressure. */
class SseStream extends Readable implements EventSink {
  private subscription?: Subscription;
  private heartbeat?: NodeJS.Timeout;
  private stopWatch?: () => void;
  private ending = false;

  constructor(private readonly options: SseStreamOptions) {
    super({ highWaterMark: HIGH_WATER_MARK });
    this.push(PREAMBLE);
  }

  start(): boolean {
    const { hub, filter, lastEventId, heartbeatMs, tokens, token } = this.options;
    this.subscription = hub.subscribe(this, { filter, lastEventId });
    if (!this.subscription) return false;
    if (heartbeatMs > 0) this.heartbeat = setInterval(() => this.beat(), heartbeatMs);
    this.stopWatch = watchToken(tokens, token, (why) => this.terminate(why));
    return true;
  }

  override _read(): void {
    this.subscription?.resume();
  }

  deliver(batch: Batch): boolean {
    return this.push(encode(batch));
  }

  terminate(reason: StreamEnd): void {
    if (this.ending || this.destroyed) return;
    this.ending = true;
    this.options.onCutOff(reason);
    this.release();
    this.push(sseComment(describeEnd(reason)));
    this.push(null);
    const { response } = this.options;
    // The client would only reconnect on this connection: close it once the last words are
    // out, so a closing server is not kept waiting for keep-alive connections. Taken now: Node
    // detaches the socket from the response before our 'finish' listener runs.
    const socket = response.socket;
    response.once('finish', () => socket?.end());
    const cut = setTimeout(() => response.destroy(), DRAIN_GRACE_MS);
    response.once('close', () => clearTimeout(cut));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.release();
    callback(error);
  }

  /** A comment only when the client keeps up: a client that is behind is not idle anyway. */
  private beat(): void {
    if (!this.ending && this.readableLength === 0) this.push(HEARTBEAT);
  }

  private release(): void {
    this.subscription?.cancel();
    clearInterval(this.heartbeat);
    this.stopWatch?.();
    this.options.onClose();
  }
}

/** The SSE body for one client; undefined when the hub is closed (the server is shutting down). */
export function openSseStream(options: SseStreamOptions): Readable | undefined {
  const stream = new SseStream(options);
  if (stream.start()) return stream;
  stream.destroy();
  return undefined;
}
