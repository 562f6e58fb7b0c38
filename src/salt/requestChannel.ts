/**
 * The clear request channel to the master's request server (wire.md §2): ZeroMQ REQ sockets,
 * one outstanding request each, kept in a small pool so HTTP requests reuse connections.
 * A REQ socket whose reply was lost cannot be reused, so a timed-out socket is closed and a new
 * one takes its place (as Salt's own client does).
 */
import { Request } from 'zeromq';
import { packOldSpec, unpack } from './codec.js';
import type { ClearEnvelope, SaltMap, SaltValue } from './types.js';
import { Errors, REQUEST_PROTOCOL_VERSION, isApiError } from '../errors.js';
import { LatencySamples } from '../stats/latencySamples.js';

export interface RequestChannelOptions {
  /** `tcp://host:port` of the master's ret port. */
  endpoint: string;
  /** Most sockets open at once; further requests wait for a free one. */
  poolSize: number;
  /** Default milliseconds to wait for one reply. */
  timeoutMs: number;
  /** Told each time the master refuses the envelope itself (`"bad load"`), for the operator's log. */
  onProtocolMismatch?: () => void;
  /** Told of every request's command, outcome and round trip (for /metrics). */
  observer?: RoundTripObserver;
}

/** `timeout`: no reply (or no free connection) in time; `error`: anything else that went wrong. */
export type RoundTripOutcome = 'ok' | 'error' | 'timeout';

export interface RoundTripObserver {
  /** `seconds` from sending to the reply, when a reply came. */
  roundTrip(cmd: string, outcome: RoundTripOutcome, seconds: number | undefined): void;
}

/** The pool of connections to the master's request server, now. */
export interface PoolUsage {
  /** Most connections open at once (`master_pool_size`). */
  size: number;
  /** Connections carrying a request. */
  inUse: number;
  /** Requests waiting for a free connection. */
  waiting: number;
}

/** What a master answers to an envelope it refuses outright (salt-versions.md §1). */
const BAD_LOAD = 'bad load';

export interface SendOptions {
  /** Milliseconds for this request (defaults to the channel's). */
  timeoutMs?: number;
}

interface Waiter {
  resolve(socket: Request): void;
  reject(error: Error): void;
}

export class RequestChannel {
  private readonly idle: Request[] = [];
  private readonly waiters: Waiter[] = [];
  private open = 0;
  private closed = false;
  /** Times from sending a request to its reply, for /stats (pool waits excluded). */
  readonly roundTrips = new LatencySamples();

  constructor(private readonly options: RequestChannelOptions) {}

  /**
   * Send one clear load and return the master's decoded reply; 503 when the master does not
   * answer in time, 502 when it refuses the envelope (never mistaken for a refused login).
   */
  async send(load: SaltMap & { cmd: string }, options: SendOptions = {}): Promise<SaltValue> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const deadline = Date.now() + timeoutMs;
    const envelope: ClearEnvelope = { enc: 'clear', load, version: REQUEST_PROTOCOL_VERSION };
    const body = packOldSpec(envelope);
    let socket: Request;
    try {
      socket = await this.acquire(deadline);
    } catch (error) {
      this.options.observer?.roundTrip(load.cmd, this.closed ? 'error' : 'timeout', undefined);
      throw error;
    }
    let healthy = false;
    let outcome: RoundTripOutcome = 'error';
    let seconds: number | undefined;
    const sentAt = performance.now();
    try {
      socket.sendTimeout = Math.max(1, deadline - Date.now());
      await socket.send(body);
      socket.receiveTimeout = Math.max(1, deadline - Date.now());
      // A REQ socket receives the reply as exactly one frame.
      const [reply] = (await socket.receive()) as [Buffer];
      healthy = true;
      const elapsed = performance.now() - sentAt;
      this.roundTrips.record(elapsed);
      seconds = elapsed / 1000;
      const decoded = unpack(reply);
      if (decoded === BAD_LOAD) {
        this.options.onProtocolMismatch?.();
        throw Errors.ProtocolMismatch();
      }
      outcome = 'ok';
      return decoded;
    } catch (error) {
      if (isApiError(error)) throw error;
      if (this.closed) throw Errors.MasterUnavailable();
      if (isTimeout(error)) {
        outcome = 'timeout';
        throw Errors.MasterUnavailable();
      }
      throw error;
    } finally {
      this.release(socket, healthy);
      this.options.observer?.roundTrip(load.cmd, outcome, seconds);
    }
  }

  get usage(): PoolUsage {
    return { size: this.options.poolSize, inUse: this.open - this.idle.length, waiting: this.waiters.length };
  }

  /** Close every socket; pending and later requests fail with 503. */
  close(): void {
    this.closed = true;
    for (const socket of this.idle.splice(0)) socket.close();
    for (const waiter of this.waiters.splice(0)) waiter.reject(Errors.MasterUnavailable());
  }

  private acquire(deadline: number): Promise<Request> {
    if (this.closed) return Promise.reject(Errors.MasterUnavailable());
    const socket = this.idle.pop();
    if (socket) return Promise.resolve(socket);
    if (this.open < this.options.poolSize) {
      this.open++;
      return Promise.resolve(this.createSocket());
    }
    return new Promise<Request>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(Errors.MasterUnavailable());
      }, Math.max(1, deadline - Date.now()));
      this.waiters.push(waiter);
    });
  }

  private release(socket: Request, healthy: boolean): void {
    let next = socket;
    if (!healthy || this.closed) {
      socket.close();
      if (this.closed) {
        this.open--;
        return;
      }
      next = this.createSocket();
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(next);
    else this.idle.push(next);
  }

  private createSocket(): Request {
    // While the master is down an idle socket retries ever more slowly; capped at half the
    // request timeout, the first request after a restart still finds it reconnected in time.
    const reconnectMaxInterval = Math.min(2000, Math.max(100, Math.floor(this.options.timeoutMs / 2)));
    const socket = new Request({ linger: 0, reconnectInterval: 100, reconnectMaxInterval });
    socket.connect(this.options.endpoint);
    return socket;
  }
}

function isTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === 'EAGAIN';
}
