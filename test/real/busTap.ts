/**
 * An independent listener on the master's own event bus (`<sock_dir>/master_event_pub.ipc`), so a
 * test can check what the master really published without trusting the API's own reading of the
 * bus. It uses only the project's frame and event decoders (busFraming.ts, codec.ts), which read
 * both framings a release may use (salt-versions.md §2).
 */
import net from 'node:net';
import path from 'node:path';
import { BusFrameReader } from '../../src/salt/busFraming.js';
import { frameBody, parseEventBody } from '../../src/salt/codec.js';

export interface BusEvent {
  tag: string;
  data: Record<string, unknown>;
}

type Waiter = (event: BusEvent) => boolean;

export class BusTap {
  readonly events: BusEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private failure?: Error;

  private constructor(private readonly socket: net.Socket) {
    const reader = new BusFrameReader((frame) => {
      const body = frameBody(frame);
      const event = body && parseEventBody(body);
      if (event) this.deliver({ tag: event.tag, data: event.data as Record<string, unknown> });
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (error) {
        // A stream that is no bus cannot be resynchronised: say so to every later wait.
        this.failure = error instanceof Error ? error : new Error(String(error));
        socket.destroy();
      }
    });
    socket.on('error', (error) => (this.failure ??= error));
  }

  /** Connected to the publisher of the master whose sock_dir is `sockDir`. */
  static async open(sockDir: string): Promise<BusTap> {
    const socket = net.connect(path.join(sockDir, 'master_event_pub.ipc'));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new BusTap(socket);
  }

  private deliver(event: BusEvent): void {
    this.events.push(event);
    for (const waiter of [...this.waiters]) if (waiter(event)) this.waiters.delete(waiter);
  }

  /** The first event, seen since the tap opened or still to come, whose tag is `tag` and that `match` accepts. */
  waitFor(tag: string, match: (event: BusEvent) => boolean = () => true, timeoutMs = 15_000): Promise<BusEvent> {
    const accepts = (event: BusEvent): boolean => event.tag === tag && match(event);
    const seen = this.events.find(accepts);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const why = this.failure ? `; the bus failed: ${this.failure.message}` : '';
        const recent = this.events.slice(-5).map((event) => event.tag).join(', ');
        reject(new Error(`no event ${tag} on the master's bus within ${timeoutMs} ms${why} (${this.events.length} seen, the last: ${recent})`));
      }, timeoutMs);
      const waiter: Waiter = (event) => {
        if (!accepts(event)) return false;
        clearTimeout(timer);
        resolve(event);
        return true;
      };
      this.waiters.add(waiter);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
