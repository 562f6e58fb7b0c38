/**
 * One `GET /ws` connection after the upgrade (http-api.md §7.16): every message the client sends
 * is answered `server received message`; once it sends `websocket client ready`, each bus event
 * goes out as a text frame `data: {"data": …, "tag": …}\n\n`, or, with `format_events`, as the
 * digest's JSON messages. Bus and replay notices have no place in that protocol and are not
 * sent. The stream ends like the SSE one: when its token expires or is logged out, when the
 * client falls too far behind, or when the server shuts down, with a close frame saying why.
 */
import type { RawData, WebSocket } from 'ws';
import { renderJson } from '../../serializers/json.js';
import type { Logger } from '../log.js';
import type { TokenAuthority } from '../salt/tokens.js';
import type { SaltToken } from '../salt/types.js';
import { EventDigest } from './digest.js';
import type { EventHub } from './hub.js';
import { describeEnd, type Batch, type StreamCutOff, type StreamEnd, type StreamEvent } from './streamEvent.js';
import type { EventSink, Subscription } from './subscription.js';
import type { TagFilter } from './tagFilter.js';
import { watchToken } from './tokenWatch.js';

const READY = 'websocket client ready';
const RECEIVED = 'server received message';
/** Bytes buffered on the socket before the hub is told to queue instead. */
const HIGH_WATER_MARK = 64 * 1024;
/** A client that does not even read our replies gets cut off past this many buffered bytes. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** RFC 6455 close codes. */
const GOING_AWAY = 1001;
const POLICY_VIOLATION = 1008;

/** What the checks before the upgrade established for a connection. */
export interface WsGrant {
  token: SaltToken;
  filter: TagFilter;
  formatEvents: boolean;
}

export interface WsSessionOptions extends WsGrant {
  hub: EventHub;
  tokens: TokenAuthority;
  /**
   * Milliseconds between pings that keep proxies from closing a quiet connection, and the time a
   * client has to answer one (a pong, or any message) before it counts as gone; 0 for none.
   */
  heartbeatMs: number;
  log: Logger;
  /** Called once when the connection is over. */
  onClose(): void;
  /** Called when the server ends the connection, with the reason. */
  onCutOff(reason: StreamCutOff): void;
}

function text(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

class WsSession implements EventSink {
  private subscription?: Subscription;
  private readonly digest?: EventDigest;
  private readonly heartbeat?: NodeJS.Timeout;
  private readonly stopWatch: () => void;
  private waiting = false;
  private closed = false;
  /** Whether the client has shown signs of life since the last ping. */
  private answered = true;

  constructor(
    private readonly socket: WebSocket,
    private readonly options: WsSessionOptions,
  ) {
    if (options.formatEvents) this.digest = new EventDigest();
    socket.on('message', (data) => this.received(data));
    socket.on('pong', () => (this.answered = true));
    socket.on('close', () => this.release());
    if (options.heartbeatMs > 0) this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs);
    this.stopWatch = watchToken(options.tokens, options.token, (why) => this.terminate(why));
  }

  deliver(batch: Batch): boolean {
    for (const item of batch.items) if (item.kind === 'event') this.sendEvent(item);
    this.waiting = this.socket.bufferedAmount >= HIGH_WATER_MARK;
    return !this.waiting;
  }

  terminate(reason: StreamEnd): void {
    if (this.closed) return;
    this.options.onCutOff(reason);
    this.release();
    this.socket.close(reason === 'shutdown' ? GOING_AWAY : POLICY_VIOLATION, describeEnd(reason));
  }

  /**
   * Ping, unless the last ping is still unanswered: then the client is gone without a word (a
   * half-open connection, a laptop that went to sleep) and would hold its subscription until the
   * kernel gives up on the socket, hours later. It gets no close handshake, which it could not
   * answer either.
   */
  private beat(): void {
    if (!this.answered) {
      this.options.log.info('websocket client did not answer a ping in time; connection dropped', { user: this.options.token.name });
      this.options.onCutOff('unresponsive');
      this.release();
      this.socket.terminate();
      return;
    }
    this.answered = false;
    this.socket.ping();
  }

  private received(data: RawData): void {
    this.answered = true;
    if (this.closed) return;
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) return this.terminate('overflow');
    this.send(RECEIVED);
    if (this.subscription || text(data) !== READY) return;
    this.subscription = this.options.hub.subscribe(this, { filter: this.options.filter });
    if (!this.subscription) this.terminate('shutdown');
  }

  private sendEvent(event: StreamEvent): void {
    if (!this.digest) {
      if (event.json !== null) this.send(`data: ${event.json}\n\n`);
      return;
    }
    for (const message of this.digest.process(event.tag, event.data)) {
      try {
        this.send(renderJson(message));
      } catch {
        this.options.log.warn('format_events: a digest message cannot be encoded as JSON; not sent', { tag: event.tag });
      }
    }
  }

  private send(message: string): void {
    this.socket.send(message, this.afterSend);
  }

  /** Called as the socket takes each frame: once it has room again, the hub may go on. */
  private readonly afterSend = (): void => {
    if (!this.waiting || this.socket.bufferedAmount >= HIGH_WATER_MARK / 2) return;
    this.waiting = false;
    this.subscription?.resume();
  };

  private release(): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription?.cancel();
    clearInterval(this.heartbeat);
    this.stopWatch();
    this.options.onClose();
  }
}

export function serveWebsocket(socket: WebSocket, options: WsSessionOptions): void {
  new WsSession(socket, options);
}
