/**
 * Session check for the endpoints that need one: the presented token must be well-formed hex
 * and confirmed by the master (cached briefly, never past its expire). Runs before the body
 * is read, so unauthenticated clients cannot make us parse anything.
 *
 * A request that only the session cookie authenticates (no `X-Auth-Token` header) and that may
 * change something (any method but GET and HEAD) must come from our own origin or one listed in
 * `cors_origin` (src/origin.ts): the browser attaches the cookie to a form or `text/plain` POST
 * from any page of the same site, another port or a sibling subdomain, and such a page must not
 * run commands with it. 403 otherwise, before the master is asked about the token.
 */
import type { Next } from 'koa';
import { Errors } from '../src/errors.js';
import type { TokenAuthority } from '../src/salt/tokens.js';
import type { ApiContext } from '../src/state.js';
import { cookieOnly, presentedToken } from './session.js';
import { clientIp } from './clientIp.js';
import { admitsFrom } from '../src/routes/apiAcl.js';
import type { ApiAcl } from '../src/config/types.js';
import type { OriginPolicy } from '../src/origin.js';

/** Methods a browser lets any page send without asking (and that change nothing here). */
const SAFE_METHODS = new Set(['GET', 'HEAD']);

export function requireSession(tokens: TokenAuthority, acl: ApiAcl | undefined, origins: OriginPolicy) {
  return async function checkSession(ctx: ApiContext, next: Next): Promise<void> {
    if (!SAFE_METHODS.has(ctx.method) && cookieOnly(ctx) && !origins.admits(ctx.req)) throw Errors.OriginRefused();
    const record = await tokens.validate(presentedToken(ctx), clientIp(ctx));
    // A user `api_acl` keeps out of this address is as unknown as a bad token.
    if (!record || !admitsFrom(acl, ctx)(record.name)) throw Errors.NotAuthenticated();
    ctx.state.token = record;
    ctx.res.setHeader('Cache-Control', 'private');
    await next();
  };
}
