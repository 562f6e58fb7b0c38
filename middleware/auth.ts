/**
 * Session check for the endpoints that need one: the presented token must be well-formed hex
 * and confirmed by the master (cached briefly, never past its expire). Runs before the body
 * is read, so unauthenticated clients cannot make us parse anything.
 */
import type { Next } from 'koa';
import { Errors } from '../src/errors.js';
import type { TokenAuthority } from '../src/salt/tokens.js';
import type { ApiContext } from '../src/state.js';
import { presentedToken } from './session.js';
import { clientIp } from './clientIp.js';
import { apiAclAllows } from '../src/routes/apiAcl.js';
import type { ApiAcl } from '../src/config/types.js';

export function requireSession(tokens: TokenAuthority, acl: ApiAcl | undefined) {
  return async function checkSession(ctx: ApiContext, next: Next): Promise<void> {
    const record = await tokens.validate(presentedToken(ctx));
    // A user `api_acl` keeps out of this address is as unknown as a bad token.
    if (!record || !apiAclAllows(acl, record.name, () => clientIp(ctx))) throw Errors.NotAuthenticated();
    ctx.state.token = record;
    ctx.res.setHeader('Cache-Control', 'private');
    await next();
  };
}
