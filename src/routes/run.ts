/** `POST /run` (credentials in every chunk) and `POST /token` (a Salt token per credential set). */
import { Errors } from '../errors.js';
import { requireLowstate } from '../lowstate.js';
import { isMap } from '../salt/master.js';
import type { SaltMap, SaltValue } from '../salt/types.js';
import { reply } from '../state.js';
import { auditedLogin } from '../audit/auditor.js';
import type { ApiRouter, RouteDeps } from './deps.js';
import { welcome } from './root.js';

export function registerRun(router: ApiRouter, deps: RouteDeps): void {
  router.get('/run', welcome);
  router.post('/run', deps.parseBody, async (ctx) => {
    reply(ctx, { return: await deps.salt.netapi.run(requireLowstate(ctx.state.body), deps.callerOf(ctx)) });
  });

  router.get('/token', welcome);
  router.post('/token', deps.parseBody, async (ctx) => {
    const tokens: SaltValue[] = [];
    for (const chunk of requireLowstate(ctx.state.body)) {
      if (!isMap(chunk)) throw Errors.TokenParamsRequired();
      const { username, password, eauth } = chunk;
      if (typeof username !== 'string' || typeof password !== 'string' || typeof eauth !== 'string') {
        throw Errors.TokenParamsRequired();
      }
      // The master's clear mk_token, as /login uses: salt-api ran the runner auth.mk_token, which
      // put the password and the new token on the event bus for every event-stream reader.
      const caller = deps.callerOf(ctx);
      const token = await auditedLogin(deps.auditor, { request: caller, endpoint: '/token', user: username, eauth }, () =>
        caller.admits(username) ? deps.salt.tokens.login({ username, password, eauth }, caller.client) : Promise.resolve(undefined),
      );
      if (!token) throw Errors.MasterAuth(`Authentication failure of type "eauth" occurred for user ${username}.`);
      tokens.push(token as unknown as SaltMap);
    }
    reply(ctx, tokens);
  });
}
