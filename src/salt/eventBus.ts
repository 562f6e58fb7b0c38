/**
 * One subscription per process to the master's event bus (wire.md §5): reads the stream of
 * `{head, body}` frames from `master_event_pub.ipc` (or its TCP port), splits each body into tag
 * and data, and hands events to whoever registered interest. Requests never open their own bus
 * connection. Reconnects with backoff when the master goes away.
 *
 * A request learns its jid only from the master's reply, and returns may already be on the
 * bus by then. While any request is {@link EventBus.retain retaining}, events of jids nobody
 * watches yet are kept for a short while so the watcher registered after the reply still sees them.
 */
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { UnpackrStream } from 'msgpackr';
import { frameBody, packEventFrame, parseEventBody } from './codec.js';
import { jidOfTag, eventStamp } from './jid.js';
import type { EventFrame, SaltMap } from './types.js';

/** Where a bus socket is: a unix socket path or a TCP port on loopback (`ipc_mode: tcp`). */
export type BusAddress = { path: string } | { host: string; port: number };

export interface EventBusOptions {
  publish: BusAddress;
  pull: BusAddress;
  /** Milliseconds to wait before the first reconnect; doubles up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Milliseconds {@link EventBus.ready} waits for a connection (default 1000). */
  readyWaitMs?: number;
}

export type EventHandler = (event: EventFrame) => void;

/** Handlers of one jid; `down` is called when the bus connection drops under them. */
export interface JidWatch {
  onEvent: EventHandler;
  onDown(): void;
}

/** How long an unclaimed job event is kept for a watcher that registers late. */
const UNCLAIMED_TTL_MS = 30_000;
const UNCLAIMED_MAX = 50_000;

export interface EventBus {
  on(event: 'up' | 'down', listener: () => void): this;
}

export class EventBus extends EventEmitter {
  private socket?: net.Socket;
  private isConnected = false;
  private closed = false;
  private backoff: number;
  private reconnectTimer?: NodeJS.Timeout;
  private readonly jidWatches = new Map<string, Set<JidWatch>>();
  private readonly taps = new Set<EventHandler>();
  private readonly unclaimed = new Map<string, { at: number; events: EventFrame[] }>();
  private unclaimedCount = 0;
  private retainers = 0;
  private firer?: Promise<net.Socket>;
  private lastAttempt = 0;
  /** Resolves at the next connection; shared by every request waiting in {@link ready}. */
  private nextUp?: Promise<void>;
  /** How many times the bus came back after dropping (for /stats). */
  reconnects = 0;

  constructor(private readonly options: EventBusOptions) {
    super();
    this.backoff = options.minBackoffMs ?? 100;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** Connect and keep connected; resolves on the first connection or after `waitMs` regardless. */
  start(waitMs = 1000): Promise<void> {
    this.connect();
    if (this.isConnected) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, waitMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.once('up', done);
    });
  }

  /**
   * Whether the bus is connected, waiting up to `readyWaitMs` when it is not. After a master
   * restart the next reconnect may still be seconds away (backoff): a request that needs the bus
   * tries at once instead of failing, at most once per minimum backoff however many ask.
   */
  async ready(): Promise<boolean> {
    if (this.isConnected) return true;
    if (this.closed) return false;
    this.nextUp ??= new Promise<void>((resolve) => this.once('up', resolve)).finally(() => (this.nextUp = undefined));
    const up = this.nextUp;
    this.reconnectNow();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.options.readyWaitMs ?? 1000)));
    try {
      return await Promise.race([up.then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.socket?.destroy();
    this.firer?.then((s) => s.destroy()).catch(() => undefined);
    this.setDown();
  }

  /** Receive every event (for event streams). Returns the unsubscribe function. */
  tap(handler: EventHandler): () => void {
    this.taps.add(handler);
    return () => this.taps.delete(handler);
  }

  /** Keep unclaimed job events until the returned release function is called. */
  retain(): () => void {
    this.retainers++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.retainers--;
      if (this.retainers === 0) {
        this.unclaimed.clear();
        this.unclaimedCount = 0;
      }
    };
  }

  /** Watch every event of one jid; events that arrived before (while retained) are replayed first. */
  watchJid(jid: string, watch: JidWatch): () => void {
    let set = this.jidWatches.get(jid);
    if (!set) this.jidWatches.set(jid, (set = new Set()));
    set.add(watch);
    const early = this.unclaimed.get(jid);
    if (early) {
      this.unclaimed.delete(jid);
      this.unclaimedCount -= early.events.length;
      for (const event of early.events) watch.onEvent(event);
    }
    return () => {
      set.delete(watch);
      if (set.size === 0 && this.jidWatches.get(jid) === set) this.jidWatches.delete(jid);
    };
  }

  /** Fire an event into the master bus (adds `_stamp`); false when the pull socket cannot be reached within 1 s. */
  async fire(tag: string, data: SaltMap): Promise<boolean> {
    const frame = packEventFrame({ tag, data: { ...data, _stamp: eventStamp() } });
    try {
      const socket = await this.pullSocket();
      return await new Promise<boolean>((resolve) => socket.write(frame, (error) => resolve(!error)));
    } catch {
      this.firer = undefined;
      return false;
    }
  }

  private pullSocket(): Promise<net.Socket> {
    if (!this.firer) {
      this.firer = new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect(connectOptions(this.options.pull));
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error('event bus pull socket timed out'));
        }, 1000);
        socket.once('connect', () => {
          clearTimeout(timer);
          resolve(socket);
        });
        socket.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        socket.on('close', () => {
          this.firer = undefined;
        });
        socket.on('error', () => undefined);
      });
    }
    return this.firer;
  }

  /** Cut a pending reconnect wait short, unless a connection attempt is under way or was just made. */
  private reconnectNow(): void {
    if (this.socket || Date.now() - this.lastAttempt < (this.options.minBackoffMs ?? 100)) return;
    clearTimeout(this.reconnectTimer);
    this.connect();
  }

  private connect(): void {
    if (this.closed || this.socket) return;
    this.lastAttempt = Date.now();
    const socket = net.connect(connectOptions(this.options.publish));
    this.socket = socket;
    const decoder = new UnpackrStream({ useRecords: false, mapsAsObjects: true });
    socket.on('connect', () => {
      this.backoff = this.options.minBackoffMs ?? 100;
      this.isConnected = true;
      this.emit('up');
    });
    socket.pipe(decoder);
    decoder.on('data', (frame: unknown) => {
      const body = frameBody(frame);
      if (!body) return;
      let event: EventFrame | undefined;
      try {
        event = parseEventBody(body);
      } catch {
        return;
      }
      if (event) this.dispatch(event);
    });
    // A corrupt stream cannot be resynchronised: drop the connection and start afresh.
    decoder.on('error', () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.socket = undefined;
      decoder.destroy();
      const wasConnected = this.isConnected;
      this.setDown();
      if (this.closed) return;
      if (wasConnected) this.reconnects++;
      this.reconnectTimer = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, this.options.maxBackoffMs ?? 2000);
    });
  }

  private setDown(): void {
    if (!this.isConnected) return;
    this.isConnected = false;
    this.unclaimed.clear();
    this.unclaimedCount = 0;
    for (const set of [...this.jidWatches.values()]) for (const watch of [...set]) watch.onDown();
    this.emit('down');
  }

  private dispatch(event: EventFrame): void {
    for (const tap of this.taps) tap(event);
    const jid = jidOfTag(event.tag);
    if (jid === undefined) return;
    const watches = this.jidWatches.get(jid);
    if (watches) {
      for (const watch of [...watches]) watch.onEvent(event);
    } else if (this.retainers > 0) {
      this.keepUnclaimed(jid, event);
    }
  }

  private keepUnclaimed(jid: string, event: EventFrame): void {
    const now = Date.now();
    this.dropStaleUnclaimed(now);
    let entry = this.unclaimed.get(jid);
    if (!entry) this.unclaimed.set(jid, (entry = { at: now, events: [] }));
    entry.events.push(event);
    this.unclaimedCount++;
  }

  /** Oldest first (a Map iterates in insertion order): drop what is too old or over the cap. */
  private dropStaleUnclaimed(now: number): void {
    for (const [jid, entry] of this.unclaimed) {
      if (now - entry.at < UNCLAIMED_TTL_MS && this.unclaimedCount < UNCLAIMED_MAX) break;
      this.unclaimed.delete(jid);
      this.unclaimedCount -= entry.events.length;
    }
  }
}

function connectOptions(address: BusAddress): net.NetConnectOpts {
  return 'path' in address ? { path: address.path } : { host: address.host, port: address.port };
}
