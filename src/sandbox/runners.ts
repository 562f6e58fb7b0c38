/**
 * The master-side runner functions the sandbox offers (`salt-run`), started the way
 * `ClearFuncs.runner` starts them: the reply names the jid at once, the result only comes as
 * `salt/run/<jid>/ret` (netapi-clients.md §5.3).
 */
import type { SaltMap, SaltValue } from '../salt/types.js';
import { tokenRecord } from './auth.js';
import { runLow, type ClientEnv, type ClientFunction } from './clientLow.js';
import type { MasterContext } from './context.js';
import { SALT_VERSION } from './grains.js';
import { newJid } from '../salt/jid.js';
import { fnmatch } from '../salt/match.js';
import { isMap, pyInt } from './python.js';
import { pythonStr } from '../salt/pythonRepr.js';
import { checkMinions } from './targeting.js';

/** What the master's runner request replies before the job runs. */
export interface StartedRunner {
  reply: SaltMap;
  run: () => Promise<void>;
}

/** The `tgt`/`tgt_type` a manage runner looks at: the accepted minions it targets, split by state. */
function minionStates(env: ClientEnv, call: { values: Readonly<Record<string, SaltValue>> }): { up: string[]; down: string[] } {
  const { ctx } = env;
  const targeted = checkMinions(ctx.fleet, call.values.tgt!, call.values.tgt_type!).minions;
  return {
    up: targeted.filter((id) => ctx.fleet.isUp(id)),
    down: targeted.filter((id) => !ctx.fleet.isUp(id)),
  };
}

/** `salt.utils.args.split_input`: a list, or a comma-separated string. */
function splitInput(value: SaltValue): string[] {
  if (Array.isArray(value)) return value.map(pythonStr);
  return pythonStr(value)
    .split(',')
    .map((item) => item.trim());
}

function matchesAny(value: SaltValue, patterns: string[]): boolean {
  const candidates = Array.isArray(value) ? value.map(pythonStr) : [pythonStr(value)];
  return candidates.some((candidate) => patterns.some((pattern) => fnmatch(candidate, pattern)));
}

const MANAGE_TARGET = { tgt: '*', tgt_type: 'glob', timeout: null, gather_job_timeout: null };

export const RUNNERS: Readonly<Record<string, ClientFunction>> = {
  'test.arg': {
    sig: { name: 'arg', params: [], varargs: true, keywords: true },
    doc: 'Output the given args and kwargs',
    run: (call) => ({ args: [...call.varargs], kwargs: call.kwargs }),
  },
  'test.sleep': {
    sig: { name: 'sleep', params: ['s_time'], defaults: { s_time: 10 } },
    doc: 'Sleep t seconds, then return True',
    run: async (call, env) => {
      await env.ctx.timers.sleep(pyInt(call.values.s_time!) * 1000);
      return true;
    },
  },
  'jobs.list_jobs': {
    sig: {
      name: 'list_jobs',
      params: ['ext_source', 'outputter', 'search_metadata', 'search_function', 'search_target', 'start_time', 'end_time', 'display_progress'],
      defaults: {
        ext_source: null,
        outputter: null,
        search_metadata: null,
        search_function: null,
        search_target: null,
        start_time: null,
        end_time: null,
        display_progress: false,
      },
    },
    doc: 'List all detectable jobs and associated functions',
    run: (call, env) => {
      const { search_function: functions, search_target: targets } = call.values;
      const funPatterns = functions === null ? undefined : splitInput(functions!);
      const tgtPatterns = targets === null ? undefined : splitInput(targets!);
      return env.ctx.jobs.listJobs(
        (job) =>
          (funPatterns === undefined || matchesAny(job.Function, funPatterns)) &&
          (tgtPatterns === undefined || matchesAny(job.Target, tgtPatterns)),
      );
    },
  },
  'jobs.list_job': {
    sig: { name: 'list_job', params: ['jid', 'ext_source', 'display_progress'], defaults: { ext_source: null, display_progress: false } },
    doc: 'List a specific job given by its jid',
    run: (call, env) => env.ctx.jobs.listJob(pythonStr(call.values.jid)),
  },
  'jobs.lookup_jid': {
    sig: {
      name: 'lookup_jid',
      params: ['jid', 'ext_source', 'returned', 'missing', 'display_progress'],
      defaults: { ext_source: null, returned: true, missing: false, display_progress: false },
    },
    doc: 'Return the printout from a previously executed job',
    run: (call, env) => {
      const job = env.ctx.jobs.listJob(pythonStr(call.values.jid));
      const results = isMap(job.Result) ? job.Result : {};
      const out: SaltMap = {};
      if (call.values.returned !== false) {
        for (const [minion, result] of Object.entries(results)) out[minion] = isMap(result) ? (result.return ?? null) : null;
      }
      if (call.values.missing === true && Array.isArray(job.Minions)) {
        for (const minion of job.Minions.map(pythonStr)) if (!(minion in results)) out[minion] = 'Minion did not return';
      }
      // A return that names an outputter (e.g. grains' "nested") is wrapped with it, as Salt does.
      const first = Object.values(results)[0];
      const outputter = isMap(first) ? first.out : undefined;
      return typeof outputter === 'string' && outputter !== '' ? { outputter, data: out } : out;
    },
  },
  'jobs.active': {
    sig: { name: 'active', params: ['display_progress'], defaults: { display_progress: false } },
    doc: 'Return a report on all actively running jobs from a job id centric perspective',
    run: (_call, env) => {
      const { ctx } = env;
      const active: Record<string, SaltMap & { Running: SaltValue[]; Returned: SaltValue[] }> = {};
      for (const minion of ctx.fleet.all()) {
        if (!ctx.fleet.isUp(minion.id)) continue;
        for (const [jid, job] of minion.running) {
          const entry = (active[jid] ??= {
            ...(ctx.jobs.describe(jid) ?? {}),
            Running: [],
            Returned: ctx.jobs.returned(jid),
          });
          entry.Running.push({ [minion.id]: job.pid! });
        }
      }
      return active;
    },
  },
  'manage.status': {
    sig: {
      name: 'status',
      params: ['output', 'tgt', 'tgt_type', 'timeout', 'gather_job_timeout'],
      defaults: { output: true, ...MANAGE_TARGET },
    },
    doc: 'Print the status of all known salt minions',
    run: (call, env) => minionStates(env, call),
  },
  'manage.up': {
    sig: { name: 'up', params: ['tgt', 'tgt_type', 'timeout', 'gather_job_timeout'], defaults: MANAGE_TARGET },
    doc: 'Print a list of all of the minions that are up',
    run: (call, env) => minionStates(env, call).up,
  },
  'manage.down': {
    sig: {
      name: 'down',
      params: ['removekeys', 'tgt', 'tgt_type', 'timeout', 'gather_job_timeout'],
      defaults: { removekeys: false, ...MANAGE_TARGET },
    },
    doc: 'Print a list of all the down or unresponsive salt minions, optionally removing their keys',
    run: (call, env) => {
      const { down } = minionStates(env, call);
      if (call.values.removekeys === true) {
        for (const id of down) {
          env.ctx.keys.delete(id);
          env.ctx.bus.fire('salt/key', { result: true, act: 'delete', id });
        }
      }
      return down;
    },
  },
  'manage.versions': {
    sig: { name: 'versions', params: [] },
    doc: 'Check the version of active minions',
    run: (_call, env) => {
      const upToDate: SaltMap = {};
      for (const id of env.ctx.fleet.accepted()) if (env.ctx.fleet.isUp(id)) upToDate[id] = SALT_VERSION;
      const report: SaltMap = Object.keys(upToDate).length > 0 ? { 'Up to date': upToDate } : {};
      report.Master = SALT_VERSION;
      return report;
    },
  },
  'auth.mk_token': {
    sig: { name: 'mk_token', params: [], keywords: true },
    doc: 'Create an eauth token using provided credentials',
    run: async (call, env) => {
      const token = await env.ctx.auth.mkToken(call.kwargs);
      return token ? tokenRecord(token) : '';
    },
  },
  'auth.del_token': {
    sig: { name: 'del_token', params: ['token'] },
    doc: 'Delete an eauth token by name',
    run: (call, env) => env.ctx.auth.deleteToken(call.values.token),
  },
};

/** Allocate the job and describe how to run it; the caller runs it once the reply is out. */
export function startRunner(ctx: MasterContext, fun: string, kwarg: SaltMap, user: SaltValue): StartedRunner {
  const jid = newJid();
  const tag = `salt/run/${jid}`;
  return {
    reply: { tag, jid },
    run: async () => {
      await runLow(ctx, { client: 'runner', functions: RUNNERS, fun, low: kwarg, jid, tag, user });
    },
  };
}
