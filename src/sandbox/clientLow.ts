/**
 * `SyncClientMixin.low`, the part runners and wheel functions share on the master: resolve the
 * arguments, fire `<tag>/new`, call the function, cache the job under the master's id and fire
 * `<tag>/ret` (netapi-clients.md §5.3, §6).
 */
import type { SaltMap, SaltValue } from '../salt/types.js';
import type { MasterContext } from './context.js';
import { PyError, isMap } from './python.js';
import { bindCall, formatCall, funArgs, splitBound, type BoundCall, type Signature } from './signature.js';

/** `salt.client.mixins.CLIENT_INTERNAL_KEYWORDS`: load keys that are never function arguments. */
export const CLIENT_INTERNAL_KEYWORDS: ReadonlySet<string> = new Set([
  'client',
  'cmd',
  'eauth',
  'fun',
  'kwarg',
  'match',
  'token',
  '__jid__',
  '__tag__',
  '__user__',
  'username',
  'password',
  'full_return',
  'print_event',
]);

export interface ClientEnv {
  readonly ctx: MasterContext;
  readonly jid: string;
  readonly user: SaltValue;
}

export interface ClientFunction {
  readonly sig: Signature;
  readonly doc: string;
  run(call: BoundCall, env: ClientEnv): SaltValue | Promise<SaltValue>;
}

export type ClientKind = 'runner' | 'wheel';

export interface LowJob {
  readonly client: ClientKind;
  readonly functions: Readonly<Record<string, ClientFunction>>;
  readonly fun: string;
  /** The function's keywords, or `{arg: [...], kwarg: {...}}`. */
  readonly low: SaltMap;
  readonly jid: string;
  readonly tag: string;
  readonly user: SaltValue;
}

/**
 * Flat keywords are matched to the signature. The master's runner path (`format_call`) reports
 * unknown keys as SaltInvocationError; for wheel calls the sandbox reports them as the TypeError of
 * calling the function with them, which is what API clients are shown.
 */
function resolveArguments(job: LowJob, spec: ClientFunction): { args: SaltValue[]; kwargs: SaltMap } {
  const { low } = job;
  if ('arg' in low && 'kwarg' in low) {
    if (!Array.isArray(low.arg)) throw new PyError('TypeError', `${spec.sig.name}() argument after * must be an iterable`);
    if (!isMap(low.kwarg)) throw new PyError('TypeError', `${spec.sig.name}() argument after ** must be a mapping`);
    return { args: low.arg, kwargs: low.kwarg };
  }
  if (job.client === 'runner') {
    return formatCall(spec.sig, low, `salt.loaded.int.runner.${job.fun}`, CLIENT_INTERNAL_KEYWORDS);
  }
  const keywords = Object.fromEntries(
    Object.entries(low).filter(([key]) => spec.sig.params.includes(key) || !CLIENT_INTERNAL_KEYWORDS.has(key)),
  );
  return splitBound(spec.sig, bindCall(spec.sig, [], keywords));
}

/** Run the job and return its final event data (`return`, `success`[, `retcode`] included). */
export async function runLow(ctx: MasterContext, job: LowJob): Promise<SaltMap> {
  const fun = `${job.client}.${job.fun}`;
  let data: SaltMap = { fun, jid: job.jid, user: job.user };
  try {
    const spec = Object.hasOwn(job.functions, job.fun) ? job.functions[job.fun] : undefined;
    if (spec === undefined) throw new PyError('CommandExecutionError', `'${job.fun}' is not available.`);
    const { args, kwargs } = resolveArguments(job, spec);
    data.fun_args = funArgs(args, kwargs);
    data = ctx.bus.fire(`${job.tag}/new`, data);
    try {
      data.return = await spec.run(bindCall(spec.sig, args, kwargs), { ctx, jid: job.jid, user: job.user });
    } catch (error) {
      // Salt catches a TypeError around the call and answers with the usage, as a success.
      if (!(error instanceof PyError) || error.type !== 'TypeError') throw error;
      data.return = `\nPassed invalid arguments: ${error.message}\n\nUsage:\n${spec.doc}`;
    }
    data.success = true;
  } catch (error) {
    if (!(error instanceof PyError)) throw error;
    data.return = `Exception occurred in ${job.client} ${job.fun}: ${error.describe()}`;
    data.success = false;
    data.retcode = 1;
  }
  // A master that died meanwhile neither caches nor announces the result.
  if (!ctx.online) return data;
  const final = ctx.bus.fire(`${job.tag}/ret`, data);
  ctx.jobs.saveLoad(job.jid, { fun, arg: [], tgt: ctx.masterId, tgt_type: 'list', user: job.user }, []);
  ctx.jobs.saveReturn(job.jid, ctx.masterId, { return: final });
  return final;
}
