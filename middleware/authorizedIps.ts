/**
 * salt-api's `authorized_ips`: requests from any other address get 403 "Bad IP". salt-api read a
 * header the client could set itself; we use clientIp() (the socket peer, or what a trusted
 * proxy forwarded). It runs before authentication and body parsing, so a refused address
 * learns nothing else (salt-api checked it after both).
 */
import type { Next } from 'koa';
import { IpRanges } from '../src/clientAddress.js';
import { Errors } from '../src/errors.js';
import type { ApiContext } from '../src/state.js';
import { clientIp } from './clientIp.js';

export function authorizedIps(allowed: readonly string[] | undefined) {
  const ranges = allowed === undefined ? undefined : new IpRanges(allowed);
  return async function checkAuthorizedIp(ctx: ApiContext, next: Next): Promise<void> {
    if (ranges && !ranges.has(clientIp(ctx))) throw Errors.BadIp();
    await next();
  };
}
