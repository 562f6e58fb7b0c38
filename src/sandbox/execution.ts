/**
 * What a minion does with a published job: the execution functions it offers (canned, nothing is
 * ever run on the host), the argument handling of `salt.minion.load_args_and_kwargs`, and the
 * `_return` it sends back, shaped like captures/wire-events.txt.
 */
import { createHash, randomInt } from 'node:crypto';
import type { SaltMap, SaltValue } from '../salt/types.js';
import { parseKwarg } from './args.js';
import type { MasterContext } from './context.js';
import { traverse } from './data.js';
import { SALT_VERSION } from './grains.js';
import type { Minion } from './minions.js';
import { fnmatch } from '../salt/match.js';
import { PyError, isMap, pyInt, pyTruthy } from './python.js';
import { pythonStr } from '../salt/pythonRepr.js';
import { orderedEntries } from '../../serializers/python-values.js';
import { setMember } from '../../serializers/set-member.js';
import { bindCall, type BoundCall, type Signature } from './signature.js';

/** Even a fast minion takes a moment; this also keeps returns after the publish reply. */
const MINION_LATENCY_MS = 5;

interface ModuleFunction {
  readonly sig: Signature;
  readonly doc: string;
  /** The outputter the minion names in its return (`__outputter__`). */
  readonly out?: string;
  /** Job-control functions answer at once, also on a slow minion. */
  readonly immediate?: boolean;
  run(call: BoundCall, minion: Minion, ctx: MasterContext): SaltValue | Promise<SaltValue>;
}

const FUNCTIONS: Readonly<Record<string, ModuleFunction>> = {
  'test.ping': {
    sig: { name: 'ping', params: [] },
    doc: 'Used to make sure the minion is up and responding. Not an ICMP ping.',
    run: () => true,
  },
  'test.echo': {
    sig: { name: 'echo', params: ['text'] },
    doc: 'Return a string - used for testing the connection',
    run: (call) => call.values.text!,
  },
  'test.arg': {
    sig: { name: 'arg', params: [], varargs: true, keywords: true },
    doc: 'Print out the data passed into the function ``*args`` and ``kwargs``',
    run: (call) => ({ args: [...call.varargs], kwargs: call.kwargs }),
  },
  'test.kwarg': {
    sig: { name: 'kwarg', params: [], keywords: true },
    doc: 'Print out the data passed into the function ``**kwargs``',
    run: (call) => call.kwargs,
  },
  'test.fib': {
    sig: { name: 'fib', params: ['num'] },
    doc: 'Return the Fibonacci numbers below num, and the time it took to compute them in seconds',
    run: (call) => {
      // Python ints have no size limit: past 2^53 the numbers are exact bigints, as a real
      // minion sends them (uint64 on the wire).
      const num = typeof call.values.num === 'bigint' ? call.values.num : BigInt(pyInt(call.values.num!));
      const start = performance.now();
      const seq: SaltValue[] = [0];
      for (let a = 0n, b = 1n; b < num; [a, b] = [b, a + b]) seq.push(b <= 2n ** 53n ? Number(b) : b);
      // A float, as Python's time difference is: never let it collapse to the integer 0.
      return [seq, Math.max((performance.now() - start) / 1000, 1e-6)];
    },
  },
  'test.sleep': {
    sig: { name: 'sleep', params: ['length'] },
    doc: 'Instruct the minion to initiate a process that will sleep for a given period of time.',
    run: async (call, _minion, ctx) => {
      await ctx.timers.sleep(pyInt(call.values.length!) * 1000);
      return true;
    },
  },
  'test.rand_sleep': {
    sig: { name: 'rand_sleep', params: ['max'], defaults: { max: 5 } },
    doc: 'Sleep for a random number of seconds, used to test long running commands',
    run: async (call, _minion, ctx) => {
      await ctx.timers.sleep(randomInt(0, Math.max(0, pyInt(call.values.max!)) + 1) * 1000);
      return true;
    },
  },
  'test.version': {
    sig: { name: 'version', params: [] },
    doc: 'Return the version of salt on the minion',
    run: () => SALT_VERSION,
  },
  'grains.items': {
    sig: { name: 'items', params: ['sanitize'], defaults: { sanitize: false } },
    doc: 'Return all of the minion grains',
    out: 'nested',
    run: (_call, minion) => ({ ...minion.grains }),
  },
  'grains.item': {
    sig: { name: 'item', params: [], varargs: true, keywords: true },
    doc: 'Return one or more grains',
    out: 'nested',
    run: (call, minion) => {
      const fallback = 'default' in call.kwargs ? call.kwargs.default : '';
      const delimiter = typeof call.kwargs.delimiter === 'string' ? call.kwargs.delimiter : ':';
      const out: SaltMap = {};
      for (const key of call.varargs) setMember(out, pythonStr(key), traverse(minion.grains, pythonStr(key), fallback, delimiter));
      return out;
    },
  },
  'grains.get': {
    sig: { name: 'get', params: ['key', 'default', 'delimiter', 'ordered'], defaults: { default: '', delimiter: ':', ordered: true } },
    doc: 'Attempt to retrieve the named value from grains, if the named value is not available return the passed default.',
    run: (call, minion) => {
      const delimiter = typeof call.values.delimiter === 'string' ? call.values.delimiter : ':';
      return traverse(minion.grains, pythonStr(call.values.key), call.values.default!, delimiter);
    },
  },
  'sys.list_functions': {
    sig: { name: 'list_functions', params: [], varargs: true, keywords: true },
    doc: 'List the functions for all modules.',
    run: (call) => listFunctions(call.varargs),
  },
  'saltutil.find_job': {
    sig: { name: 'find_job', params: ['jid'] },
    doc: 'Return the data for a specific job id that is currently running.',
    immediate: true,
    run: (call, minion) => {
      const jid = call.values.jid;
      return (typeof jid === 'string' && minion.running.get(jid)) || {};
    },
  },
  'saltutil.running': {
    sig: { name: 'running', params: [] },
    doc: 'Return the data on all running salt processes on the minion',
    immediate: true,
    run: (_call, minion) => [...minion.running.values()],
  },
  'cmd.run': {
    sig: {
      name: 'run',
      params: ['cmd', 'cwd', 'stdin', 'runas', 'group', 'shell', 'python_shell', 'env'],
      defaults: { cwd: null, stdin: null, runas: null, group: null, shell: '/bin/sh', python_shell: null, env: null },
      keywords: true,
    },
    doc: 'Execute the passed command and return the output as a string (simulated: nothing is executed).',
    out: 'txt',
    run: (call) => `simulated: ${pythonStr(call.values.cmd)}`,
  },
};

function listFunctions(patterns: readonly SaltValue[]): string[] {
  const names = Object.keys(FUNCTIONS).sort();
  if (patterns.length === 0) return names;
  const found = new Set<string>();
  for (const pattern of patterns) {
    const module = pythonStr(pattern);
    for (const name of names) {
      const hit = module.includes('*') || module.includes('.') ? fnmatch(name, module) : name.startsWith(`${module}.`);
      if (hit) found.add(name);
    }
  }
  return [...found].sort();
}

interface Outcome {
  return: SaltValue;
  retcode: number;
  out?: string;
}

function failure(text: string): Outcome {
  return { return: text, retcode: 1, out: 'nested' };
}

/** Split a job's `arg` list into positionals and keywords the way the minion does. */
function loadArgs(spec: ModuleFunction, fun: string, arg: readonly SaltValue[], pub: SaltMap): BoundCall | Outcome {
  const positional: SaltValue[] = [];
  const kwargs: SaltMap = {};
  const invalid: string[] = [];
  const accepts = (key: string) => spec.sig.keywords === true || spec.sig.params.includes(key);
  const addKeyword = (key: string, value: SaltValue) => {
    if (accepts(key)) setMember(kwargs, key, value);
    else invalid.push(`${key}=${pythonStr(value)}`);
  };
  for (const item of arg) {
    if (isMap(item) && '__kwarg__' in item) {
      const { __kwarg__: marker, ...rest } = item;
      if (marker === true) {
        for (const [key, value] of orderedEntries(rest)) addKeyword(key, value);
      } else {
        positional.push(rest);
      }
      continue;
    }
    const kw = typeof item === 'string' ? parseKwarg(item) : undefined;
    if (kw) addKeyword(kw[0], kw[1]);
    else positional.push(item);
  }
  if (invalid.length > 0) {
    return failure(`ERROR executing '${fun}': The following keyword arguments are not valid: ${invalid.join(', ')}`);
  }
  // Functions taking **kwargs also see the publication data, as `__pub_<key>`.
  if (spec.sig.keywords) for (const [key, value] of Object.entries(pub)) kwargs[`__pub_${key}`] = value;
  try {
    return bindCall(spec.sig, positional, kwargs);
  } catch (error) {
    if (error instanceof PyError) return failure(`Passed invalid arguments to ${fun}: ${error.message}\n${spec.doc}`);
    throw error;
  }
}

/** A dict return with a false `result` or `success` marks the job failed (retcode 1). */
function retcodeOf(value: SaltValue): number {
  if (!isMap(value)) return 0;
  return ['result', 'success'].every((key) => !(key in value) || pyTruthy(value[key])) ? 0 : 1;
}

async function execute(ctx: MasterContext, minion: Minion, fun: SaltValue, arg: SaltValue, pub: SaltMap): Promise<Outcome> {
  const name = pythonStr(fun);
  const args = Array.isArray(arg) ? arg : [];
  if (ctx.recorder.enabled) ctx.recorder.executed.push({ jid: pythonStr(pub.jid), minion: minion.id, fun: name, arg: args });
  const spec = Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
  if (spec === undefined) return failure(`'${name}' is not available.`);
  const call = loadArgs(spec, name, args, pub);
  if ('retcode' in call) return call;
  try {
    const value = await spec.run(call, minion, ctx);
    return { return: value, retcode: retcodeOf(value), out: spec.out };
  } catch (error) {
    if (!(error instanceof PyError)) throw error;
    if (error.type === 'SaltInvocationError') return failure(`ERROR executing '${name}': ${error.message}`);
    if (error.type === 'CommandExecutionError') return failure(`ERROR: ${error.message}`);
    return failure(`The minion function caused an exception: ${error.describe()}`);
  }
}

/** A compound job runs each function with its own argument list; results are keyed by function. */
async function executeMulti(ctx: MasterContext, minion: Minion, funs: SaltValue[], pub: SaltMap) {
  const argLists = Array.isArray(pub.arg) ? pub.arg : [];
  const result: SaltMap = {};
  const retcode: SaltMap = {};
  const success: SaltMap = {};
  for (const [i, fun] of funs.entries()) {
    const name = pythonStr(fun);
    const outcome =
      i < argLists.length
        ? await execute(ctx, minion, fun, argLists[i]!, pub)
        : failure(`The minion function caused an exception: IndexError: list index out of range`);
    setMember(result, name, outcome.return);
    setMember(retcode, name, outcome.retcode);
    setMember(success, name, outcome.retcode === 0);
  }
  return { return: result, retcode, success };
}

/**
 * The minion's `_return` load, keys in the order a real minion sends them.
 * `pub` is the load `publish` sends, which always has `fun`, `arg` and `jid`.
 */
async function buildReturn(ctx: MasterContext, minion: Minion, pub: SaltMap): Promise<SaltMap> {
  let head: SaltMap;
  let out: string | undefined;
  if (Array.isArray(pub.fun)) {
    head = await executeMulti(ctx, minion, pub.fun, pub);
  } else {
    const outcome = await execute(ctx, minion, pub.fun!, pub.arg!, pub);
    head = { success: outcome.retcode === 0, return: outcome.return, retcode: outcome.retcode };
    out = outcome.out;
  }
  const ret: SaltMap = { cmd: '_return', id: minion.id, ...head, jid: pub.jid!, fun: pub.fun!, fun_args: pub.arg! };
  if ('user' in pub) ret.user = pub.user;
  if ('master_id' in pub) ret.master_id = pub.master_id;
  if (isMap(pub.metadata)) ret.metadata = pub.metadata;
  if (out !== undefined) ret.out = out;
  return ret;
}

/**
 * The master's `_return` handling: cache the result, then announce it on the bus.
 * `ret` is from `buildReturn`, which always sets `return`, `retcode` and `success`.
 */
function deliver(ctx: MasterContext, ret: SaltMap): void {
  const jid = pythonStr(ret.jid);
  const id = pythonStr(ret.id);
  const cached: SaltMap = { return: ret.return!, retcode: ret.retcode!, success: ret.success! };
  if (typeof ret.out === 'string') cached.out = ret.out;
  ctx.jobs.saveReturn(jid, id, cached);
  ctx.bus.fire(`salt/job/${jid}/ret/${id}`, ret);
}

/**
 * Where in the return window this minion answers this job: fixed by the pair, so a rerun is
 * reproducible, and spread evenly over the fleet.
 */
function windowOffsetMs(ctx: MasterContext, minion: Minion, jid: string): number {
  if (ctx.returnWindowMs <= 0) return 0;
  const fraction = createHash('sha1').update(`${jid}/${minion.id}`).digest().readUInt32BE(0) / 2 ** 32;
  return fraction * ctx.returnWindowMs;
}

/** Run one published job on one minion, from receipt to return. */
export async function runJob(ctx: MasterContext, minion: Minion, pub: SaltMap): Promise<void> {
  const jid = pythonStr(pub.jid);
  const fun = typeof pub.fun === 'string' && Object.hasOwn(FUNCTIONS, pub.fun) ? FUNCTIONS[pub.fun] : undefined;
  const immediate = fun?.immediate === true;
  if (!immediate) minion.running.set(jid, { pid: randomInt(1000, 65536), ...pub });
  try {
    await ctx.timers.sleep(MINION_LATENCY_MS + windowOffsetMs(ctx, minion, jid) + (immediate ? 0 : minion.delay * 1000));
    if (minion.down) return;
    const ret = await buildReturn(ctx, minion, pub);
    await ctx.returns.turn();
    // A minion that went down meanwhile, or a master that is not there to receive, loses the return.
    if (!minion.down && ctx.online) deliver(ctx, ret);
  } finally {
    if (!immediate) minion.running.delete(jid);
  }
}
