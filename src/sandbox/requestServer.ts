/**
 * The master's request server on `ret_port` (wire.md §2.1): a ZeroMQ ROUTER taking one
 * single-frame msgpack request per REQ message and answering with one old-spec msgpack frame.
 * Requests are handled concurrently, so a slow command never holds up the others.
 */
import { Router } from 'zeromq';
import { packOldSpec } from '../salt/codec.js';
import type { RequestChannel } from './channel.js';
import type { CommandResult } from './context.js';
import type { Timers } from './timers.js';
import { reportUnexpected } from './unexpected.js';
import type { SaltValue } from '../salt/types.js';

/** How long a restart keeps retrying while the OS still holds the old port. */
const REBIND_TIMEOUT_MS = 5000;
const REBIND_RETRY_MS = 50;

/** `[identity, …, "", body]` from a REQ peer; `[identity, body]` from a DEALER that skips the delimiter. */
function splitEnvelope(frames: Buffer[]): { header: Buffer[]; body: Buffer } | undefined {
  if (frames.length < 2) return undefined;
  const delimiter = frames.findIndex((frame, i) => i > 0 && frame.length === 0);
  if (delimiter < 0) return { header: [frames[0]!], body: frames[1]! };
  return { header: frames.slice(0, delimiter + 1), body: frames[delimiter + 1] ?? Buffer.alloc(0) };
}

function isAddressInUse(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'EADDRINUSE';
}

export class RequestServer {
  private router?: Router;
  private endpoint?: string;
  /** ZeroMQ allows one send at a time per socket: replies queue here. */
  private sending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly channel: RequestChannel,
    private readonly timers: Timers,
    private readonly replyDelay: () => number,
    /** A reply that stands in for the next request's (fault injection), if any. */
    private readonly injectedReply: () => SaltValue | undefined = () => undefined,
  ) {}

  /** Bind on `host:port` (0 = any free port) and return the bound port. */
  async bind(host: string, port: number): Promise<number> {
    const router = new Router({ linger: 0 });
    const address = `tcp://${host}:${port === 0 ? '*' : port}`;
    const deadline = Date.now() + REBIND_TIMEOUT_MS;
    for (;;) {
      try {
        await router.bind(address);
        break;
      } catch (error) {
        if (!isAddressInUse(error) || Date.now() > deadline) {
          router.close();
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, REBIND_RETRY_MS));
      }
    }
    this.router = router;
    this.endpoint = router.lastEndpoint ?? address;
    void this.serve(router);
    return Number(this.endpoint.slice(this.endpoint.lastIndexOf(':') + 1));
  }

  /**
   * Close without `unbind()`: zeromq.js runs unbind on a libuv worker thread while the main
   * thread may still poll the socket, and libzmq sockets are not thread-safe (it aborts in
   * pipe termination). Closing releases the port too; `bind` retries while it is still taken.
   */
  async close(): Promise<void> {
    const { router } = this;
    this.router = undefined;
    router?.close();
  }

  private async serve(router: Router): Promise<void> {
    try {
      for await (const frames of router) {
        const message = splitEnvelope(frames);
        if (message) void this.respond(router, message.header, message.body);
      }
    } catch (error) {
      if (!router.closed) reportUnexpected('request server', error);
    }
  }

  private async respond(router: Router, header: Buffer[], body: Buffer): Promise<void> {
    let result: CommandResult;
    const injected = this.injectedReply();
    try {
      result = injected === undefined ? await this.channel.handle(body) : { reply: injected };
    } catch (error) {
      reportUnexpected('request channel', error);
      result = { reply: 'Some exception handling minion payload' };
    }
    const delay = this.replyDelay();
    if (delay > 0) await this.timers.sleep(delay * 1000);
    const sent = this.sending.then(() => router.send([...header, packOldSpec(result.reply)]));
    this.sending = sent.catch(() => undefined);
    try {
      await sent;
    } catch {
      // The socket closed under the reply (the master was stopped): the client times out, as it would.
      return;
    }
    result.after?.().catch((error: unknown) => reportUnexpected('job', error));
  }
}
