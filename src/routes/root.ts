/** `GET /` (welcome), `POST /` (run a lowstate with the session's token); `/run` and `/token` share the welcome. */
import { requireLowstate } from '../lowstate.js';
import { isMap } from '../salt/master.js';
import { CLIENT_NAMES, type Lowstate, type LowstateChunk } from '../salt/types.js';
import { reply, type ApiContext } from '../state.js';
import type { ApiRouter, RouteDeps } from './deps.js';

export function welcome(ctx: ApiContext): void {
  reply(ctx, { return: 'Welcome', clients: [...CLIENT_NAMES] });
}

/** The session's token replaces whatever token a chunk carries. */
export function withSessionToken(ctx: ApiContext, data: unknown, extra: LowstateChunk = {}): Lowstate {
  const token = ctx.state.token?.token ?? null;
  return requireLowstate(data).map((chunk) => (isMap(chunk) ? { ...chunk, ...extra, token } : chunk));
}

export function registerRoot(router: ApiRouter, deps: RouteDeps): void {
  router.get('/', welcome);
  router.post('/', deps.requireSession, deps.parseBody, async (ctx) => {
    const results = await deps.salt.netapi.run(withSessionToken(ctx, ctx.state.body), deps.callerOf(ctx));
    reply(ctx, { return: results });
  });
}
