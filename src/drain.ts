/**
 * The requests a server is answering, so that stopping it can make each answer the last on its
 * connection: keep-alive clients then let go as soon as they have their answer, instead of
 * holding the server open until their idle timeout.
 *
 * Connections are tracked, not requests: each connection remembers the response it is on under a
 * symbol, which costs one property store per request, where a listener and a set entry per
 * response cost the login path about 6 % of its CPU time under load (bench/).
 */
import type { RequestListener, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

const CURRENT = Symbol('salt-api-koa.response');

interface TrackedSocket extends Socket {
  [CURRENT]?: ServerResponse;
}

export class Drain {
  private stopping = false;
  private readonly connections = new Set<TrackedSocket>();

  /** Follow the connections of `server` (for HTTPS, the TLS sockets its requests arrive on). */
  watch(server: Server, secure: boolean): void {
    server.on(secure ? 'secureConnection' : 'connection', (socket: TrackedSocket) => {
      this.connections.add(socket);
      socket.once('close', () => this.connections.delete(socket));
    });
  }

  /** `listener` with each response noted on its connection (and marked last once stopping). */
  track(listener: RequestListener): RequestListener {
    return (req, res) => {
      (req.socket as TrackedSocket)[CURRENT] = res;
      if (this.stopping) res.setHeader('Connection', 'close');
      listener(req, res);
    };
  }

  /** From now on every answer, those under way included, closes its connection when done. */
  stop(): void {
    this.stopping = true;
    for (const socket of this.connections) {
      const res = socket[CURRENT];
      if (!res || res.writableFinished) continue;
      if (!res.headersSent) res.setHeader('Connection', 'close');
      else res.once('finish', () => socket.end());
    }
  }
}
