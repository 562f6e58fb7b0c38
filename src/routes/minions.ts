/** `GET /minions[/<mid>]` (grains of matching minions) and `POST /minions` (always local_async, 202). */
import { isMap } from '../salt/master.js';
import type { SaltValue } from '../salt/types.js';
import { reply, type ApiContext } from '../state.js';
import type { ApiRouter, RouteDeps } from './deps.js';
import { withSessionToken } from './root.js';
import { publicPrefix } from '../../middleware/clientIp.js';

export function registerMinions(router: ApiRouter, deps: RouteDeps): void {
  const grains = async (ctx: ApiContext, mid: string) => {
    const results = await deps.salt.netapi.run([
      { client: 'local', tgt: mid, fun: 'grains.items', token: ctx.state.token?.token ?? null },
    ], deps.callerOf(ctx));
    reply(ctx, { return: results });
  };
  router.get('/minions', deps.requireSession, (ctx) => grains(ctx, '*'));
  router.get('/minions/:mid', deps.requireSession, (ctx) => grains(ctx, ctx.params.mid ?? '*'));

  router.post('/minions', deps.requireSession, deps.parseBody, async (ctx) => {
    const lowstate = withSessionToken(ctx, ctx.state.body, { client: 'local_async' });
    const results = await deps.salt.netapi.run(lowstate, deps.callerOf(ctx));
    // Links the client follows: they must work behind a proxy that mounts us under a sub-path.
    const prefix = publicPrefix(ctx, deps.settings.api.root_prefix);
    const jobs = results
      .map((result: SaltValue) => (isMap(result) && typeof result.jid === 'string' ? { href: `${prefix}/jobs/${result.jid}` } : undefined))
      .filter((link) => link !== undefined);
    reply(ctx, { return: results, _links: { jobs } }, 202);
  });
}
