/** `POST /run` (credentials in every chunk) and `POST /token` (a Salt token per credential set). */
import { Errors } from '../errors.js';
import { requireLowstate } from '../lowstate.js';
import { isMap } from '../salt/master.js';
import type { SaltValue } from '../salt/types.js';
import { reply } from '../state.js';
import type { ApiRouter, RouteDeps } from './deps.js';
import { welcome } from './root.js';

export function registerRun(router: ApiRouter, deps: RouteDeps): void {
  router.get('/run', welcome);
  router.post('/run', deps.parseBody, async (ctx) => {
    reply(ctx, { return: await deps.salt.netapi.run(requireLowstate(ctx.state.body)) });
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
      const [token] = await deps.salt.netapi.runChunk({
        client: 'runner',
        fun: 'auth.mk_token',
        kwarg: { username, password, eauth },
        username,
        password,
        eauth,
      });
      tokens.push(token ?? null);
    }
    reply(ctx, tokens);
  });
}
