/**
 * `ClearFuncs.publish` (wire.md §3.3): authenticate with the credentials in `kwargs`, authorise
 * against the ACL, resolve the targets, announce the job on the bus, cache it, and hand it to the
 * minions once the reply is out.
 */
import type { SaltMap } from '../salt/types.js';
import { publishAllowed } from './acl.js';
import { authTypeOf } from './auth.js';
import type { CommandResult, MasterContext } from './context.js';
import { runJob } from './execution.js';
import { newJid } from '../salt/jid.js';
import { PyError, isMap, pyTruthy, pyTypeName, required } from './python.js';
import { pythonStr } from '../salt/pythonRepr.js';
import { checkMinions } from './targeting.js';

const AUTHENTICATION_ERROR: SaltMap = { error: { name: 'AuthenticationError', message: 'Authentication error occurred.' } };
const AUTHORIZATION_ERROR: SaltMap = { error: { name: 'AuthorizationError', message: 'Authorization error occurred.' } };

/** Publish options a minion receives when the caller put them in `kwargs`. */
const FORWARDED_KWARGS = ['ret_config', 'metadata', 'module_executors', 'executor_opts', 'ret_kwargs'];

/** A refused publish with a caller-chosen jid is also announced, with the load, on the job's tag. */
function refuse(ctx: MasterContext, load: SaltMap, error: SaltMap): CommandResult {
  if (pyTruthy(load.jid)) ctx.bus.fire(`salt/job/${pythonStr(load.jid)}/error`, { ...load, ...error });
  return { reply: error };
}

/**
 * `_prep_pub`: the load the minions get, which is also the `salt/job/<jid>/publish` event.
 * `publish` has checked or set every key of `load` read here without `in`.
 */
function minionLoad(load: SaltMap, extra: SaltMap, delimiter: string): SaltMap {
  const pub: SaltMap = { fun: load.fun!, arg: load.arg!, tgt: load.tgt!, jid: load.jid!, ret: load.ret! };
  if ('master_id' in extra) pub.master_id = extra.master_id;
  if (delimiter !== ':') pub.delimiter = delimiter;
  if ('id' in extra) pub.id = extra.id;
  pub.tgt_type = load.tgt_type!;
  if ('to' in load) pub.to = load.to;
  for (const key of FORWARDED_KWARGS) if (key in extra) pub[key] = extra[key]!;
  pub.user = load.user!;
  return pub;
}

export async function publish(ctx: MasterContext, load: SaltMap): Promise<CommandResult> {
  const extra = 'kwargs' in load ? load.kwargs : {};
  required(load, 'user');
  const fun = required(load, 'fun');
  if (!isMap(extra)) throw new PyError('AttributeError', `'${pyTypeName(extra)}' object has no attribute 'get'`);
  const delimiter = typeof extra.delimiter === 'string' ? extra.delimiter : ':';
  const tgt = required(load, 'tgt');
  const { minions, missing } = checkMinions(ctx.fleet, tgt, 'tgt_type' in load ? load.tgt_type : 'glob', delimiter);

  // Only the credentials in kwargs count: a top-level token is ignored, no credentials is "user" auth.
  const auth = await ctx.auth.check(extra, authTypeOf(extra));
  if (auth.error) return refuse(ctx, load, AUTHENTICATION_ERROR);
  const resolve = (expr: string) => new Set(checkMinions(ctx.fleet, expr, 'compound').minions);
  const arg = required(load, 'arg');
  if (!publishAllowed(auth.authList, fun, arg, minions, resolve)) {
    return refuse(ctx, load, AUTHORIZATION_ERROR);
  }
  load.user = auth.username;

  if (minions.length === 0) {
    return {
      reply: { enc: 'clear', load: { jid: null, minions: [], error: `Master could not resolve minions for target ${pythonStr(tgt)}` } },
    };
  }
  const tgtType = required(load, 'tgt_type');
  required(load, 'ret');

  const jid = pyTruthy(load.jid) ? pythonStr(load.jid) : newJid();
  load.jid = jid;
  if (ctx.release.bareJidEvent) ctx.bus.fire(jid, { minions });
  ctx.bus.fire(`salt/job/${jid}/new`, {
    jid,
    tgt_type: tgtType,
    tgt,
    user: load.user,
    fun,
    arg,
    minions,
    missing,
  });
  ctx.jobs.saveLoad(jid, load, minions);
  const pub = minionLoad(load, extra, delimiter);
  if (ctx.release.publishEvent) ctx.bus.fire(`salt/job/${jid}/publish`, pub);

  return {
    reply: { enc: 'clear', load: { jid, minions, missing } },
    after: async () => {
      const receivers = minions.flatMap((id) => {
        const minion = ctx.fleet.get(id);
        return minion !== undefined && !minion.down ? [minion] : [];
      });
      await Promise.all(receivers.map((minion) => runJob(ctx, minion, pub)));
    },
  };
}
