/**
 * Writes events into the master's bus through `master_event_pull.ipc` (wire.md §5.3), in the
 * framing the master reads (salt-versions.md §2).
 *
 * The pull socket never answers, and a frame in the wrong framing is dropped by the master without
 * a word (or with a log line only it sees). So every event is confirmed: it counts as delivered
 * only once the master has republished it on the publish socket, which the API reads anyway. The
 * framing is either configured (`event_pull_framing`) or found by a probe event: written in one
 * framing on a fresh connection and, if the master does not republish it, in the other one on
 * another. The order follows the evidence: a master that prefixes its publish frames (3006.26+)
 * reads prefixed frames. Whatever fails is reported, never lost silently.
 */
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { packEventFrame } from './codec.js';
import { frameFor, type BusFraming } from './busFraming.js';
import type { EventFrame, SaltMap } from './types.js';

export type PullFramingSetting = 'auto' | BusFraming;

/** What became of one event. */
export type FireOutcome =
  /** The master republished it. */
  | 'published'
  /** The pull socket could not be reached. */
  | 'unreachable'
  /** Written, but the master did not republish it in time (wrong framing, or a master too busy). */
  | 'unconfirmed'
  /** Neither framing got a probe event republished, or the publish socket is not read. */
  | 'undetected';

/** The part of the event bus client the firer needs: reading what the master publishes. */
export interface PublishedEvents {
  readonly connected: boolean;
  /** The framing of the last frame read from the publish socket. */
  readonly publishFraming: BusFraming | undefined;
  /** Receive every published event, probes included (which nothing else of the API sees). */
  watchPublished(handler: (event: EventFrame) => void): () => void;
}

export interface EventFirerOptions {
  connect: net.NetConnectOpts;
  framing: PullFramingSetting;
  /** Milliseconds to wait for the master to republish an event (or a probe). */
  confirmMs: number;
  /** Milliseconds to wait for the pull socket to accept a connection. */
  connectMs: number;
  /** `_stamp` for probe events, in the form the master uses. */
  stamp(): string;
}

/** Milliseconds a master gets to republish the first probe, in the likelier framing. */
const QUICK_PROBE_MS = 300;

/** Tags of the API's own events, which its event streams never show (probes, logout notices). */
export const INTERNAL_TAG_PREFIX = 'salt/netapi/koa/';

/** Tag of the probe events that find the pull socket's framing. */
export const FRAMING_PROBE_TAG = `${INTERNAL_TAG_PREFIX}framing`;

export class EventFirer {
  private detected?: BusFraming;
  private detection?: Promise<BusFraming | undefined>;
  /** The connection events go out on; replaced when it closes or carried an unconfirmed frame. */
  private current?: net.Socket;
  private connecting?: Promise<net.Socket>;
  private closed = false;

  constructor(
    private readonly options: EventFirerOptions,
    private readonly published: PublishedEvents,
  ) {}

  /** The framing in use: configured, or found by the last probe (undefined before one). */
  get framing(): BusFraming | undefined {
    return this.options.framing === 'auto' ? this.detected : this.options.framing;
  }

  /** Write `data` (already stamped) under `tag` and wait until the master republishes it. */
  async fire(tag: string, data: SaltMap): Promise<FireOutcome> {
    const framing = this.framing ?? (await this.detect());
    if (!framing) return 'undetected';
    let socket: net.Socket;
    try {
      socket = await this.connection();
    } catch {
      return 'unreachable';
    }
    const outcome = await this.writeConfirmed(socket, tag, data, framing);
    if (outcome !== 'published') this.forget();
    return outcome;
  }

  /**
   * Find the pull socket's framing with probe events (also what `doctor` reports). Concurrent
   * callers share one detection.
   */
  detect(): Promise<BusFraming | undefined> {
    if (this.options.framing !== 'auto') return Promise.resolve(this.options.framing);
    this.detection ??= this.probeBoth().finally(() => (this.detection = undefined));
    return this.detection;
  }

  /** The master may have restarted as another release: find the framing afresh next time. */
  forget(): void {
    this.detected = undefined;
    this.current?.destroy();
    this.current = undefined;
  }

  close(): void {
    this.closed = true;
    this.forget();
  }

  /**
   * The likelier framing first, with a short wait: a master that reads it republishes a probe at
   * once. Then the other one, and the first again, each with the full wait, for a master too busy
   * to answer quickly. A probe twice published is harmless; an event twice published would not be.
   */
  private async probeBoth(): Promise<BusFraming | undefined> {
    const [likely, other]: [BusFraming, BusFraming] = this.published.publishFraming === 'prefixed' ? ['prefixed', 'plain'] : ['plain', 'prefixed'];
    const attempts: [BusFraming, number][] = [
      [likely, Math.min(QUICK_PROBE_MS, this.options.confirmMs)],
      [other, this.options.confirmMs],
      [likely, this.options.confirmMs],
    ];
    for (const [framing, waitMs] of attempts) {
      if (this.closed || !this.published.connected) return undefined;
      let socket: net.Socket;
      try {
        socket = await this.open();
      } catch {
        return undefined;
      }
      const probe = { probe: randomUUID(), framing, _stamp: this.options.stamp() };
      const outcome = await this.writeConfirmed(socket, FRAMING_PROBE_TAG, probe, framing, waitMs);
      if (outcome === 'published') {
        this.detected = framing;
        // A connection that carried a frame the master read is in step: keep it for real events.
        this.current = socket;
        return framing;
      }
      // A frame the master misread leaves the connection out of step for good.
      socket.destroy();
    }
    return undefined;
  }

  private writeConfirmed(socket: net.Socket, tag: string, data: SaltMap, framing: BusFraming, waitMs = this.options.confirmMs): Promise<FireOutcome> {
    return new Promise<FireOutcome>((resolve) => {
      const stamp = data._stamp;
      const probe = data.probe;
      const untap = this.published.watchPublished((event) => {
        if (event.tag === tag && event.data._stamp === stamp && event.data.probe === probe) finish('published');
      });
      const timer = setTimeout(() => finish('unconfirmed'), waitMs);
      function finish(outcome: FireOutcome) {
        clearTimeout(timer);
        untap();
        resolve(outcome);
      }
      socket.write(frameFor(packEventFrame({ tag, data }), framing), (error) => {
        if (error) finish('unreachable');
      });
    });
  }

  private async connection(): Promise<net.Socket> {
    if (this.current && !this.current.destroyed) return this.current;
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    this.current = await this.connecting;
    return this.current;
  }

  private open(): Promise<net.Socket> {
    return new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect(this.options.connect);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('event bus pull socket timed out'));
      }, this.options.connectMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.on('error', () => undefined);
    });
  }
}
