/**
 * The master event bus (wire.md §5): `master_event_pub.ipc` streams every frame to every
 * subscriber, `master_event_pull.ipc` takes frames from firers and republishes their bodies.
 */
import type net from 'node:net';
import { join } from 'node:path';
import { packEventFrame, packNewSpec } from '../salt/codec.js';
import { BusFrameReader, frameFor } from '../salt/busFraming.js';
import type { SaltMap } from '../salt/types.js';
import { eventStamp } from '../salt/jid.js';
import { listenUnix, type UnixServer } from './unixSocket.js';
import type { SaltRelease } from '../salt/releases.js';

/**
 * Default bytes queued for a subscriber before it is dropped as one that stopped reading: room
 * for every `grains.items` return of 20,000 minions (~3 KB each on the wire) at once.
 */
export const DEFAULT_SUBSCRIBER_BACKLOG = 128 * 1024 * 1024;
/** A firer's frame may not grow beyond this while incomplete. */
const MAX_FRAME_SIZE = 16 * 1024 * 1024;
/** What the pull socket holds while a prefixed master waits for the ~2 GB "length" of a plain frame. */
const STALLED = Symbol('stalled');

export class EventBus {
  private pubServer?: UnixServer;
  private pullServer?: UnixServer;
  private readonly subscribers = new Set<net.Socket>();

  constructor(
    private readonly sockDir: string,
    private readonly release: SaltRelease,
    private readonly maxBacklog = DEFAULT_SUBSCRIBER_BACKLOG,
  ) {}

  get pubPath(): string {
    return join(this.sockDir, 'master_event_pub.ipc');
  }

  get pullPath(): string {
    return join(this.sockDir, 'master_event_pull.ipc');
  }

  async start(): Promise<void> {
    this.pubServer = await listenUnix(this.pubPath, (socket) => this.subscribe(socket));
    this.pullServer = await listenUnix(this.pullPath, (socket) => this.acceptFirer(socket));
  }

  async stop(): Promise<void> {
    const servers = [this.pubServer, this.pullServer];
    this.pubServer = undefined;
    this.pullServer = undefined;
    this.subscribers.clear();
    await Promise.all(servers.map((server) => server?.close()));
  }

  /**
   * Fire an event as `SaltEvent.fire_event` does: `_stamp` is set to the time of firing (an
   * existing one keeps its place but gets the new time). Returns the stamped data, since Salt
   * mutates the dict it fires and callers reuse it (wheel replies). With the master stopped the
   * event is lost, as it would be.
   */
  fire(tag: string, data: SaltMap): SaltMap {
    const stamped = { ...data, _stamp: eventStamp(this.release.zonedStamps) };
    if (this.subscribers.size > 0) this.broadcast(packEventFrame({ tag, data: stamped }));
    return stamped;
  }

  private broadcast(plainFrame: Buffer): void {
    const frame = frameFor(plainFrame, this.release.publishFraming);
    for (const socket of this.subscribers) {
      if (socket.writableLength > this.maxBacklog) {
        this.subscribers.delete(socket);
        socket.destroy();
      } else {
        socket.write(frame);
      }
    }
  }

  private subscribe(socket: net.Socket): void {
    this.subscribers.add(socket);
    // Subscribers have nothing to say; whatever they send is read and discarded.
    socket.on('data', () => undefined);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.subscribers.delete(socket));
  }

  /**
   * Read firers' frames in the release's framing, and fail on the other one as that release does
   * (salt-versions.md §2): a prefixed master reads a plain frame's first bytes as a ~2 GB length and
   * waits for it forever; a plain master decodes a prefix as the integer 0, logs "'int' object is not
   * subscriptable" and drops the connection. Either way the event is lost without a word to the firer.
   */
  private acceptFirer(socket: net.Socket): void {
    const expected = this.release.pullFraming;
    let state: typeof STALLED | undefined;
    const reader = new BusFrameReader((frame, framing) => {
      if (framing !== expected) {
        if (expected === 'prefixed') state = STALLED;
        else socket.destroy();
        return;
      }
      // Anything but a map is not a frame at all: the connection is given up, as Salt's puller does.
      if (typeof frame !== 'object' || frame === null || Object.getPrototypeOf(frame) !== Object.prototype) {
        socket.destroy();
        return;
      }
      const { body } = frame as { body?: unknown };
      // Only a bin body is an event; the master's handler chokes on anything else and drops it.
      if (body instanceof Uint8Array) this.broadcast(packNewSpec({ head: {}, body: Buffer.from(body) }));
    });
    socket.on('data', (chunk: Buffer) => {
      if (state === STALLED) return;
      try {
        reader.push(chunk);
      } catch {
        socket.destroy();
      }
      if (reader.pendingBytes > MAX_FRAME_SIZE) socket.destroy();
    });
    socket.on('error', () => socket.destroy());
  }
}
