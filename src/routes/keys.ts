/**
 * `GET /keys[/<mid>]` (wheel key.list_all / key.finger with the session's token) and `POST /keys`
 * (wheel key.gen_accept with credentials from the body, answered with a tar of the key pair),
 * http-api.md §7.12-§7.13. All go through the netapi gatekeeper, which checks the credentials.
 */
import { Errors } from '../errors.js';
import { assertMinionId } from '../minionId.js';
import { isMap } from '../salt/master.js';
import { pythonStr } from '../salt/pythonRepr.js';
import type { LowstateChunk, SaltMap, SaltValue } from '../salt/types.js';
import { reply, type ApiContext } from '../state.js';
import { presentedToken } from '../../middleware/session.js';
import type { ApiRouter, RouteDeps } from './deps.js';
import { keyArchive } from './keyArchive.js';

/** The body fields `POST /keys` passes on besides `mid`: gen_accept's own and the credentials. */
const PASSED_FIELDS = ['keysize', 'force', 'token', 'username', 'password', 'eauth'] as const;

/** `data` of the wheel's reply: its `return` and whether it succeeded. */
function wheelData(results: SaltValue[]): SaltMap {
  const [result] = results;
  return isMap(result) && isMap(result.data) ? result.data : {};
}

/** The first chunk of the body (salt-api reads only that one); `{}` when there is none. */
function firstChunk(body: unknown): SaltMap {
  const first: SaltValue | undefined = Array.isArray(body) ? body[0] : (body as SaltValue | undefined);
  return isMap(first) ? first : {};
}

function keyText(value: SaltValue | undefined): string {
  return typeof value === 'string' ? value : '';
}

export function registerKeys(router: ApiRouter, deps: RouteDeps): void {
  /**
   * salt-api does not require a session here but injects its token; without one the gatekeeper
   * answers 401 "No authentication credentials given".
   */
  const listKeys = async (ctx: ApiContext, chunk: LowstateChunk) => {
    const token = presentedToken(ctx);
    const results = await deps.salt.netapi.runChunk({ client: 'wheel', ...chunk, ...(token === undefined ? {} : { token }) }, deps.callerOf(ctx));
    reply(ctx, { return: wheelData(results).return ?? {} });
  };
  router.get('/keys', (ctx) => listKeys(ctx, { fun: 'key.list_all' }));
  router.get('/keys/:mid', (ctx) => listKeys(ctx, { fun: 'key.finger', match: assertMinionId(ctx.params.mid) }));

  router.post('/keys', deps.parseBody, async (ctx: ApiContext) => {
    const body = firstChunk(ctx.state.body);
    if (body.mid === undefined) throw Errors.MissingField('mid');
    const mid = assertMinionId(body.mid);
    const chunk: LowstateChunk = { client: 'wheel', fun: 'key.gen_accept', id_: mid };
    for (const field of PASSED_FIELDS) {
      const value = body[field];
      if (value !== undefined) chunk[field] = value;
    }
    const data = wheelData(await deps.salt.netapi.runChunk(chunk, deps.callerOf(ctx)));
    if (data.success === false) throw Errors.WheelFailed(pythonStr(data.return));
    const keys = isMap(data.return) ? data.return : {};
    const archive = await keyArchive([
      { name: 'minion.pub', content: keyText(keys.pub) },
      { name: 'minion.pem', content: keyText(keys.priv) },
    ]);
    ctx.attachment(`saltkeys-${mid}.tar`);
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = archive;
  });
}
