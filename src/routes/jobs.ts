/** `GET /jobs` (runner jobs.list_jobs) and `GET /jobs/<jid>` (runner jobs.list_job), http-api.md §7.8-§7.9. */
import { orderedEntries } from '../../serializers/python-values.js';
import { setMember } from '../../serializers/set-member.js';
import { isMap } from '../salt/master.js';
import type { SaltMap, SaltValue } from '../salt/types.js';
import { reply, type ApiContext } from '../state.js';
import type { ApiRouter, RouteDeps } from './deps.js';

/** `return[0]` of `/jobs/<jid>`: each minion of `Result` mapped to its `return` only. */
function returnsOf(info: SaltValue | undefined): SaltMap {
  const result = isMap(info) && isMap(info.Result) ? info.Result : {};
  const out: SaltMap = {};
  for (const [id, value] of orderedEntries(result)) setMember(out, id, isMap(value) && Object.hasOwn(value, 'return') ? (value.return as SaltValue) : value);
  return out;
}

export function registerJobs(router: ApiRouter, deps: RouteDeps): void {
  const runner = (ctx: ApiContext, fun: string, extra: SaltMap = {}) =>
    deps.salt.netapi.run([{ client: 'runner', fun, ...extra, token: ctx.state.token?.token ?? null }], deps.callerOf(ctx));

  router.get('/jobs', deps.requireSession, async (ctx) => {
    reply(ctx, { return: await runner(ctx, 'jobs.list_jobs') });
  });

  router.get('/jobs/:jid', deps.requireSession, async (ctx) => {
    const [info] = await runner(ctx, 'jobs.list_job', { jid: ctx.params.jid ?? '' });
    reply(ctx, { info: [info ?? {}], return: [returnsOf(info)] });
  });
}
