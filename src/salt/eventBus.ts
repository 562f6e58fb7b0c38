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
import { setImmediate as nextTurn } from 'node:timers/promises';
import { frameBody, parseEventBody, parseEventBodySliced } from './codec.js';
import { BusFrameReader, type BusFraming } from './busFraming.js';
import { EventFirer, INTERNAL_TAG_PREFIX, type FireOutcome, type PullFramingSetting } from './eventFirer.js';
import { jidOfTag, eventStamp, stampIsZoned } from './jid.js';
import type { EventFrame, SaltMap } from './types.js';
import type { BusAddress } from './endpoints.js';

export type { BusAddress } from './endpoints.js';

export interface EventBusOptions {
  publish: BusAddress;
  pull: BusAddress;
  /** Milliseconds to wait before the first reconnect; doubles up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Milliseconds {@link EventBus.ready} waits for a connection (default 1000). */
  readyWaitMs?: number;
  /** Framing of frames written to the pull socket (default: found by probing). */
  pullFraming?: PullFramingSetting;
  /** Milliseconds to wait for the master to republish a fired event (default 2000). */
  confirmMs?: number;
}

export type EventHandler = (event: EventFrame) => void;

/** A tap also learns the event's size on the wire (its msgpack body), a measure of what its data holds. */
export type TapHandler = (event: EventFrame, bytes: number) => void;

/** Handlers of one jid; `down` is called when the bus connection drops under them. */
export interface JidWatch {
  onEvent: EventHandler;
  onDown(): void;
}

/**
 * Event bodies past this size are decoded in slices, the event loop getting a turn between them:
 * a `/jobs/<jid>` of a big fleet is one event of tens of MB, whose decoding in one go held every
 * other request up for several hundred milliseconds.
 */
const SLICED_EVENT_BYTES = 1024 * 1024;
/** About this many bytes decoded between two turns of the event loop. */
const DECODE_SLICE_BYTES = 256 * 1024;
/**
 * A minion's return of this many msgpack bytes or more stays packed until it is rendered
 * (src/salt/packedValue.ts): the size of a `grains.items` return, where holding a fleet's
 * returns decoded cost four times their bytes. Smaller ones (`test.ping`'s `true`) gain nothing.
 */
const PACKED_RETURN_BYTES = 1024;
/** How long an unclaimed job event is kept for a watcher that registers late. */
const UNCLAIMED_TTL_MS = 30_000;
const UNCLAIMED_MAX = 50_000;

/** `up` when the publish socket connects, `down` when it drops. */
type BusEvents = { up: []; down: [] };

export class EventBus extends EventEmitter<BusEvents> {
  private socket?: net.Socket;
  private isConnected = false;
  private closed = false;
  private backoff: number;
  private reconnectTimer?: NodeJS.Timeout;
  private readonly jidWatches = new Map<string, Set<JidWatch>>();
  private readonly taps = new Set<TapHandler>();
  private readonly publishedWatchers = new Set<EventHandler>();
  private readonly unclaimed = new Map<string, { at: number; events: EventFrame[] }>();
  private unclaimedCount = 0;
  private retainers = 0;
  private readonly firer: EventFirer;
  private lastAttempt = 0;
  private lastPublishFraming?: BusFraming;
  /** Whether the master's own events carry a zone in `_stamp` (3008.0+); ours follow. */
  private zonedStamps = false;
  /** Frames behind a huge one that is being decoded in slices: events are handed on in bus order. */
  private readonly decodeQueue: { body: Uint8Array; framing: BusFraming }[] = [];
  private decoding = false;
  /** Resolves at the next connection; shared by every request waiting in {@link ready}. */
  private nextUp?: Promise<void>;
  /** How many times the bus came back after dropping (for /stats). */
  reconnects = 0;

  constructor(private readonly options: EventBusOptions) {
    super();
    this.backoff = options.minBackoffMs ?? 100;
    this.firer = new EventFirer(
      {
        connect: connectOptions(options.pull),
        framing: options.pullFraming ?? 'auto',
        confirmMs: options.confirmMs ?? 2000,
        connectMs: 1000,
        stamp: () => eventStamp(this.zonedStamps),
      },
      this,
    );
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** The framing of the last frame the master published (undefined before the first one). */
  get publishFraming(): BusFraming | undefined {
    return this.lastPublishFraming;
  }

  /** The framing events are written in: configured, or found by probing (undefined before). */
  get pullFraming(): BusFraming | undefined {
    return this.firer.framing;
  }

  /** Find the pull socket's framing now (see {@link EventFirer.detect}). */
  detectPullFraming(): Promise<BusFraming | undefined> {
    return this.firer.detect();
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
  async ready(waitMs = this.options.readyWaitMs ?? 1000): Promise<boolean> {
    if (this.isConnected) return true;
    if (this.closed) return false;
    this.nextUp ??= new Promise<void>((resolve) => this.once('up', resolve)).finally(() => (this.nextUp = undefined));
    const up = this.nextUp;
    this.reconnectNow();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)));
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
    this.firer.close();
    this.setDown();
  }

  /** Receive every event (for event streams). Returns the unsubscribe function. */
  tap(handler: TapHandler): () => void {
    this.taps.add(handler);
    return () => this.taps.delete(handler);
  }

  /** Receive every event, the API's own included (framing probes, logout notices). */
  watchPublished(handler: EventHandler): () => void {
    this.publishedWatchers.add(handler);
    return () => this.publishedWatchers.delete(handler);
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

  /**
   * Fire an event into the master bus (adds `_stamp` in the master's form) and wait until the
   * master has republished it: an event the master could not read is reported, never lost silently.
   */
  async fire(tag: string, data: SaltMap): Promise<FireOutcome> {
    // salt-api gives up on an unreachable bus after a second; so do we.
    if (!(await this.ready(1000))) return 'unreachable';
    return this.firer.fire(tag, { ...data, _stamp: eventStamp(this.zonedStamps) });
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
    const reader = new BusFrameReader((frame, framing) => this.onFrame(frame, framing));
    socket.on('connect', () => {
      this.backoff = this.options.minBackoffMs ?? 100;
      this.isConnected = true;
      this.emit('up');
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch {
        // A corrupt stream cannot be resynchronised: drop the connection and start afresh.
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.socket = undefined;
      const wasConnected = this.isConnected;
      this.setDown();
      if (this.closed) return;
      if (wasConnected) this.reconnects++;
      this.reconnectTimer = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, this.options.maxBackoffMs ?? 2000);
    });
  }

  private onFrame(frame: unknown, framing: BusFraming): void {
    this.lastPublishFraming = framing;
    const body = frameBody(frame);
    if (!body) return;
    if (this.decoding || body.length > SLICED_EVENT_BYTES) {
      this.decodeQueue.push({ body, framing });
      if (!this.decoding) void this.drainDecodeQueue();
      return;
    }
    let event: EventFrame | undefined;
    try {
      event = parseEventBody(body, PACKED_RETURN_BYTES);
    } catch {
      return;
    }
    this.accept(event, body.length);
  }

  private async drainDecodeQueue(): Promise<void> {
    this.decoding = true;
    try {
      for (let next = this.decodeQueue.shift(); next !== undefined; next = this.decodeQueue.shift()) {
        const { body } = next;
        let event: EventFrame | undefined;
        try {
          // A huge return is decoded here in slices: decoded whole when rendered, it would block.
          event = body.length > SLICED_EVENT_BYTES ? await parseEventBodySliced(body, () => nextTurn(), DECODE_SLICE_BYTES) : parseEventBody(body, PACKED_RETURN_BYTES);
        } catch {
          continue;
        }
        if (!this.closed) this.accept(event, body.length);
      }
    } finally {
      this.decoding = false;
    }
  }

  private accept(event: EventFrame | undefined, wireBytes: number): void {
    if (!event) return;
    if (typeof event.data._stamp === 'string') this.zonedStamps = stampIsZoned(event.data._stamp);
    this.dispatch(event, wireBytes);
  }

  private setDown(): void {
    if (!this.isConnected) return;
    this.isConnected = false;
    // The master may come back as another release, with another framing.
    this.firer.forget();
    this.unclaimed.clear();
    this.unclaimedCount = 0;
    for (const set of [...this.jidWatches.values()]) for (const watch of [...set]) watch.onDown();
    this.emit('down');
  }

  private dispatch(event: EventFrame, bytes: number): void {
    for (const watcher of this.publishedWatchers) watcher(event);
    // Framing probes and logout notices are the API's own business, not its clients'.
    if (event.tag.startsWith(INTERNAL_TAG_PREFIX)) return;
    for (const tap of this.taps) tap(event, bytes);
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
