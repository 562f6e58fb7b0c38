/**
 * `X-Request-Id` on every answer, and the same id in the access, error and audit log lines of the
 * request. A trusted proxy's id is kept (so one id follows the request from nginx to the master);
 * anyone else's, or one that is not a short token, is replaced: the id lands in log files, where
 * a client must not be able to forge lines or hide among another request's.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Next } from 'koa';
import { IpRanges, normalizeIp } from '../src/clientAddress.js';
import type { ApiContext } from '../src/state.js';

/** Up to 128 characters of RFC 9110 token characters: a UUID, nginx's $request_id, a trace id. */
const SANE_ID = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/;

/** The request's id: the incoming one when a trusted proxy sent a sane one, else a new UUID. */
export function requestIdOf(req: IncomingMessage, trusted: IpRanges): string {
  const incoming = req.headers['x-request-id'];
  if (typeof incoming === 'string' && SANE_ID.test(incoming) && trusted.has(normalizeIp(req.socket.remoteAddress ?? ''))) return incoming;
  return randomUUID();
}

export function requestId(trustedProxies: readonly string[]) {
  const trusted = new IpRanges(trustedProxies);
  return async function identifyRequest(ctx: ApiContext, next: Next): Promise<void> {
    const id = requestIdOf(ctx.req, trusted);
    ctx.state.requestId = id;
    ctx.res.setHeader('X-Request-Id', id);
    await next();
  };
}
