/** `GET /login`, `POST /login`, `POST /logout` (http-api.md §7.3-§7.5). */
import { Errors } from '../errors.js';
import { loginPerms } from '../salt/acl.js';
import { isMap } from '../salt/master.js';
import type { SaltMap, SaltToken } from '../salt/types.js';
import type { ExternalAuth } from '../config/types.js';
import { reply, type ApiContext } from '../state.js';
import { clearedSessionCookie, cookiePath, sessionCookie } from '../../middleware/session.js';
import { isSecure, publicPrefix } from '../../middleware/clientIp.js';
import { auditedLogin } from '../audit/auditor.js';
import type { ApiRouter, RouteDeps } from './deps.js';
import { announceLogout } from '../salt/logoutNotice.js';

/** What a successful login answers (http-api.md §7.4), as salt-api does. */
export function loginReturn(token: SaltToken, externalAuth: ExternalAuth): SaltMap {
  return {
    return: [{ token: token.token, expire: token.expire, start: token.start, user: token.name, eauth: token.eauth, perms: loginPerms(externalAuth, token) }],
  };
}

/** The credentials of a login body: a mapping, or the first element of a list. */
function credentials(body: unknown): SaltMap {
  const data = Array.isArray(body) ? body[0] : body;
  if (!isMap(data) || typeof data.username !== 'string' || typeof data.eauth !== 'string') throw Errors.LoginFailed();
  return data;
}

export function registerLogin(router: ApiRouter, deps: RouteDeps): void {
  // The cookie goes only to the API's own paths, not to other applications on the host; behind
  // a proxy that mounts us under a sub-path, those paths start with its X-Forwarded-Prefix.
  const path = (ctx: ApiContext): string => cookiePath(publicPrefix(ctx, deps.settings.api.root_prefix));
  router.get('/login', (ctx) => {
    ctx.set('WWW-Authenticate', 'Session');
    reply(ctx, { status: null, return: 'Please log in' });
  });

  router.post('/login', deps.parseBody, async (ctx: ApiContext) => {
    const creds = credentials(ctx.state.body);
    const caller = deps.callerOf(ctx);
    const username = String(creds.username);
    const token = await auditedLogin(
      deps.auditor,
      { request: caller, endpoint: '/login', user: username, eauth: String(creds.eauth) },
      () => (caller.admits(username) ? deps.salt.tokens.login(creds, caller.client) : Promise.resolve(undefined)),
    );
    if (!token) throw Errors.LoginFailed();
    ctx.set('X-Auth-Token', token.token);
    ctx.append('Set-Cookie', sessionCookie(token.token, token.expire, isSecure(ctx), path(ctx)));
    reply(ctx, loginReturn(token, deps.settings.master.external_auth));
  });

  router.post('/logout', deps.requireSession, async (ctx: ApiContext) => {
    const token = ctx.state.token;
    if (token) {
      deps.salt.tokens.revoke(token);
      const outcome = await announceLogout(deps.salt.bus, token);
      if (outcome !== 'published') deps.salt.log.warn(`logout not announced to other API processes (${outcome}); this one refuses the token until it expires`);
    }
    ctx.append('Set-Cookie', clearedSessionCookie(isSecure(ctx), path(ctx)));
    reply(ctx, { return: 'Your token has been cleared' });
  });
}
