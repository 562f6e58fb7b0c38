/**
 * The requests a server is answering, so that stopping it can make each answer the last on its
 * connection: keep-alive clients then let go as soon as they have their answer, instead of
 * holding the server open until their idle timeout.
 */
import type { RequestListener, ServerResponse } from 'node:http';

export class Drain {
  private stopping = false;
  private readonly inFlight = new Set<ServerResponse>();

  /** `listener` with its responses tracked (and marked last once stopping). */
  track(listener: RequestListener): RequestListener {
    return (req, res) => {
      this.inFlight.add(res);
      res.once('close', () => this.inFlight.delete(res));
      if (this.stopping) res.setHeader('Connection', 'close');
      listener(req, res);
    };
  }

  /** From now on every answer, those under way included, closes its connection when done. */
  stop(): void {
    this.stopping = true;
    for (const res of this.inFlight) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
      else {
        // Taken now: Node detaches the socket from the response before 'finish' listeners run.
        const socket = res.socket;
        res.once('finish', () => socket?.end());
      }
    }
  }
}
