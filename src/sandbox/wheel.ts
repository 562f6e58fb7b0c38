/**
 * The wheel functions the sandbox offers and `ClearFuncs.wheel`, which runs them synchronously:
 * the master's jid J1 wraps the wheel runner's own jid J2 (`__jid__` when the API supplies one),
 * each with its `new`/`ret` events (netapi-clients.md §6).
 */
import { generateKeyPair } from 'node:crypto';
import { posix } from 'node:path';
import { promisify } from 'node:util';
import type { SaltMap, SaltValue } from '../salt/types.js';
import { runLow, type ClientFunction } from './clientLow.js';
import type { MasterContext } from './context.js';
import { newJid } from '../salt/jid.js';
import { KEY_STATES, assertSafeId, type KeyState } from './keys.js';
import { PyError, pyInt, pyTruthy } from './python.js';
import { pythonStr } from '../salt/pythonRepr.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** The master's file_roots/pillar_roots: wheel writes land in memory, never on the host. */
const ROOTS: Readonly<Record<'file_roots' | 'pillar_roots', Readonly<Record<string, readonly string[]>>>> = {
  file_roots: { base: ['/srv/salt'] },
  pillar_roots: { base: ['/srv/pillar'] },
};

/** Key sizes outside this range are clamped: below is what Salt does, above keeps the loop free. */
const MIN_KEYSIZE = 2048;
const MAX_KEYSIZE = 4096;

/** Move the matching keys that are in one of `from` to `to`, firing `salt/key` for each. */
function moveKeys(ctx: MasterContext, match: SaltValue, from: KeyState[], to: KeyState, act: string): SaltMap {
  const matches = ctx.keys.nameMatch(match, false);
  for (const state of from) {
    for (const id of matches[state] ?? []) {
      ctx.keys.set(id, to);
      // A minion whose key gets accepted was waiting to connect: it is up from now on.
      if (to === 'minions' && ctx.fleet.get(id) === undefined) ctx.fleet.set(id, {});
      ctx.bus.fire('salt/key', { result: true, act, id });
    }
  }
  return ctx.keys.nameMatch(match, false);
}

/** `salt.wheel.file_roots.write` / `pillar_roots.write`, refusing paths that leave the root. */
function writeRoots(kind: keyof typeof ROOTS, store: Map<string, string>): ClientFunction {
  return {
    sig: { name: 'write', params: ['data', 'path', 'saltenv', 'index'], defaults: { saltenv: 'base', index: 0 } },
    doc: `Write the named file, by default to the first entry of ${kind} for the given saltenv`,
    run: (call) => {
      const { data, path, saltenv } = call.values;
      const envName = pythonStr(saltenv);
      const roots = Object.hasOwn(ROOTS[kind], envName) ? ROOTS[kind][envName] : undefined;
      if (roots === undefined) return `Named environment ${envName} is not present`;
      const index = pyInt(call.values.index!);
      if (index < 0 || index >= roots.length) return `Specified index ${index} in environment ${envName} is not present`;
      const relative = pythonStr(path);
      if (posix.isAbsolute(relative)) return `The path passed in ${relative} is not relative to the environment ${envName}`;
      const root = roots[index]!;
      const dest = posix.join(root, relative);
      if (!dest.startsWith(`${root}/`)) return 'Invalid path';
      store.set(dest, pythonStr(data));
      return `Wrote data to file ${dest}`;
    },
  };
}

function wheelFunctions(written: Map<string, string>): Readonly<Record<string, ClientFunction>> {
  return {
    'key.list_all': {
      sig: { name: 'list_all', params: [] },
      doc: 'List all the keys',
      run: (_call, { ctx }) => ctx.keys.listAll(),
    },
    'key.list': {
      sig: { name: 'list_', params: ['match'] },
      doc: 'List all the keys under a named status',
      run: (call, { ctx }) => {
        const status = pythonStr(call.values.match).toLowerCase();
        const all = ctx.keys.listAll();
        const byName: Record<string, KeyState> = {
          pre: 'minions_pre',
          un: 'minions_pre',
          unaccepted: 'minions_pre',
          acc: 'minions',
          accepted: 'minions',
          rej: 'minions_rejected',
          rejected: 'minions_rejected',
          den: 'minions_denied',
          denied: 'minions_denied',
        };
        if (status === 'all') return all;
        const state = Object.hasOwn(byName, status) ? byName[status] : undefined;
        return state === undefined ? {} : { [state]: all[state] };
      },
    },
    'key.finger': {
      sig: { name: 'finger', params: ['match', 'hash_type'], defaults: { hash_type: null } },
      doc: 'Return the matching key fingerprints',
      run: (call, { ctx }) => {
        const hashType = call.values.hash_type === null ? 'sha256' : pythonStr(call.values.hash_type);
        const out: SaltMap = {};
        for (const [state, ids] of Object.entries(ctx.keys.nameMatch(call.values.match!, true))) {
          out[state] = Object.fromEntries(ids.map((id) => [id, ctx.keys.finger(id, hashType)]));
        }
        return out;
      },
    },
    'key.accept': {
      sig: {
        name: 'accept',
        params: ['match', 'include_rejected', 'include_denied'],
        defaults: { include_rejected: false, include_denied: false },
      },
      doc: 'Accept keys based on a glob match',
      run: (call, { ctx }) => {
        const from: KeyState[] = ['minions_pre'];
        if (pyTruthy(call.values.include_rejected)) from.push('minions_rejected');
        if (pyTruthy(call.values.include_denied)) from.push('minions_denied');
        return moveKeys(ctx, call.values.match!, from, 'minions', 'accept');
      },
    },
    'key.reject': {
      sig: {
        name: 'reject',
        params: ['match', 'include_accepted', 'include_denied'],
        defaults: { include_accepted: false, include_denied: false },
      },
      doc: 'Reject keys based on a glob match',
      run: (call, { ctx }) => {
        const from: KeyState[] = ['minions_pre'];
        if (pyTruthy(call.values.include_accepted)) from.push('minions');
        if (pyTruthy(call.values.include_denied)) from.push('minions_denied');
        return moveKeys(ctx, call.values.match!, from, 'minions_rejected', 'reject');
      },
    },
    'key.delete': {
      sig: { name: 'delete', params: ['match'] },
      doc: 'Delete keys based on a glob match',
      run: (call, { ctx }) => {
        const matches = ctx.keys.nameMatch(call.values.match!, false);
        for (const state of KEY_STATES) {
          for (const id of matches[state] ?? []) {
            ctx.keys.delete(id);
            ctx.bus.fire('salt/key', { result: true, act: 'delete', id });
          }
        }
        return ctx.keys.nameMatch(call.values.match!, false);
      },
    },
    'key.gen_accept': {
      sig: { name: 'gen_accept', params: ['id_', 'keysize', 'force'], defaults: { keysize: 2048, force: false } },
      doc: 'Generate a key pair then accept the public key',
      run: async (call, { ctx }): Promise<SaltMap> => {
        const id = assertSafeId(call.values.id_!);
        const bits = Math.min(MAX_KEYSIZE, Math.max(MIN_KEYSIZE, pyInt(call.values.keysize!)));
        const { publicKey, privateKey } = await generateKeyPairAsync('rsa', { modulusLength: bits });
        if (ctx.keys.isAccepted(id) && !pyTruthy(call.values.force)) return {};
        ctx.keys.set(id, 'minions', publicKey.export({ type: 'spki', format: 'der' }));
        return {
          pub: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
          priv: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
        };
      },
    },
    'config.values': {
      sig: { name: 'values', params: [] },
      doc: "Return the raw values of the config file",
      run: (_call, { ctx }) => ({ ...ctx.options }),
    },
    'minions.connected': {
      sig: { name: 'connected', params: [] },
      doc: 'List all connected minions on a salt-master',
      run: (_call, { ctx }) => ctx.fleet.accepted().filter((id) => ctx.fleet.isUp(id)),
    },
    'file_roots.write': writeRoots('file_roots', written),
    'pillar_roots.write': writeRoots('pillar_roots', written),
  };
}

export class Wheel {
  /** Files the wheel "wrote" under file_roots/pillar_roots, by absolute path. */
  readonly written = new Map<string, string>();
  private readonly functions = wheelFunctions(this.written);

  constructor(private readonly ctx: MasterContext) {}

  /** `ClearFuncs.wheel` after authorisation (`load` holds the function's keywords): the reply `{tag, data}`. */
  async call(fun: string, load: SaltMap, user: SaltValue): Promise<SaltMap> {
    return this.ctx.release.wheelPicksJid ? this.callOwnJid(fun, load, user) : this.callWrapped(fun, load, user);
  }

  /**
   * 3008: one jid J of the master's choosing, set as `__jid__`/`__tag__`/`__user__` over whatever
   * the caller sent; the function's own `new`/`ret` events are the only ones, and the reply's data
   * is not an event (no `_stamp`).
   */
  private async callOwnJid(fun: string, load: SaltMap, user: SaltValue): Promise<SaltMap> {
    const jid = newJid();
    const tag = `salt/wheel/${jid}`;
    const data: SaltMap = { fun: `wheel.${fun}`, jid, tag, user };
    try {
      if ('full_return' in load) {
        throw new PyError('TypeError', "call_func() got multiple values for keyword argument 'full_return'");
      }
      const inner = await runLow(this.ctx, { client: 'wheel', functions: this.functions, fun, low: { ...load, __jid__: jid, __tag__: tag, __user__: user }, jid, tag, user });
      return { tag, data: { ...data, return: inner.return!, success: inner.success! } };
    } catch (error) {
      if (!(error instanceof PyError)) throw error;
      return { tag, data: { ...data, return: `Exception occurred in wheel ${fun}: ${error.describe()}`, success: false } };
    }
  }

  /** Before 3008: the master's jid J1 wraps the wheel runner's own J2, each with `new`/`ret`. */
  private async callWrapped(fun: string, load: SaltMap, user: SaltValue): Promise<SaltMap> {
    const { ctx } = this;
    const jid = newJid();
    const tag = `salt/wheel/${jid}`;
    let data = ctx.bus.fire(`${tag}/new`, { fun: `wheel.${fun}`, jid, tag, user });
    try {
      if ('full_return' in load) {
        throw new PyError('TypeError', "call_func() got multiple values for keyword argument 'full_return'");
      }
      const innerJid = typeof load.__jid__ === 'string' ? load.__jid__ : newJid();
      const inner = await runLow(ctx, {
        client: 'wheel',
        functions: this.functions,
        fun,
        low: load,
        jid: innerJid,
        tag: typeof load.__tag__ === 'string' ? load.__tag__ : `salt/wheel/${innerJid}`,
        user: '__user__' in load ? load.__user__ : 'UNKNOWN',
      });
      data = { ...data, return: inner.return!, success: inner.success! };
    } catch (error) {
      if (!(error instanceof PyError)) throw error;
      data = { ...data, return: `Exception occurred in wheel ${fun}: ${error.describe()}`, success: false };
    }
    return { tag, data: ctx.bus.fire(`${tag}/ret`, data) };
  }
}
