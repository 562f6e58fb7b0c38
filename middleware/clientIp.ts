/**
 * Resolves the client once per request (src/clientAddress.ts) so every place where the client's
 * address matters (authorized_ips, api_acl, logs, webhook events) sees the same answer.
 */
import type { IncomingMessage } from 'node:http';
import type { Next } from 'koa';
import { IpRanges, normalizeIp, resolveClient, type ClientAddress } from '../src/clientAddress.js';
import type { ApiContext } from '../src/state.js';

/** What the accessors need, so a context from another stack (e.g. koa-websocket's) works too. */
interface ClientContext {
  req: IncomingMessage;
  state: { client?: ClientAddress };
}

export function clientAddress(trustedProxies: readonly string[]) {
  const trusted = new IpRanges(trustedProxies);
  return async function resolveClientAddress(ctx: ApiContext, next: Next): Promise<void> {
    ctx.state.client = resolveClient(ctx.req, trusted);
    await next();
  };
}

/** The client's IP; without the middleware, the socket peer (forwarding headers are never trusted then). */
export function clientIp(ctx: ClientContext): string {
  return ctx.state.client?.ip ?? normalizeIp(ctx.req.socket.remoteAddress ?? '');
}

/** Whether the client uses TLS, for the session cookie's `Secure`. */
export function isSecure(ctx: ClientContext): boolean {
  return ctx.state.client?.secure ?? ('encrypted' in ctx.req.socket && ctx.req.socket.encrypted === true);
}

/**
 * Where the API's paths begin as the client sees them: the trusted proxy's X-Forwarded-Prefix
 * followed by `rootPrefix`, without a trailing slash ('' at the root). Routes match on
 * `rootPrefix` alone: the proxy stripped its own part before passing the request on.
 */
export function publicPrefix(ctx: ClientContext, rootPrefix: string): string {
  return `${ctx.state.client?.prefix ?? ''}${rootPrefix.replace(/\/+$/, '')}`;
}
