/**
 * `salt.master.ClearFuncs`: the commands a clear request may name (wire.md §3), each returning the
 * bare reply value. Exceptions propagate to the channel, which answers them with Salt's generic
 * "Some exception handling minion payload".
 */
import type { SaltMap, SaltValue } from '../salt/types.js';
import { specAllowed } from './acl.js';
import { authTypeOf, tokenRecord, type AuthType } from './auth.js';
import type { CommandResult, MasterContext } from './context.js';
import { publish } from './publish.js';
import { PyError, isMap, pyTypeName, required } from './python.js';
import { pythonStr } from '../salt/pythonRepr.js';
import { startRunner } from './runners.js';
import type { Wheel } from './wheel.js';

const ERROR_NAMES: Readonly<Record<AuthType, string>> = {
  token: 'TokenAuthenticationError',
  eauth: 'EauthAuthenticationError',
  user: 'UserAuthenticationError',
};

/** The credential keys removed from a runner/wheel load once it is authorised. */
const SENSITIVE_KEYS: Readonly<Record<AuthType, readonly string[]>> = {
  token: ['token'],
  eauth: ['username', 'password'],
  user: [],
};

type Authorized = { fun: string; user: SaltValue } | { reply: SaltMap };

export class ClearFuncs {
  constructor(
    private readonly ctx: MasterContext,
    private readonly wheelClient: Wheel,
  ) {}

  /** Dispatch on `load.cmd`; an unknown command is answered with `{}`. */
  async dispatch(load: SaltMap): Promise<CommandResult> {
    const cmd = required(load, 'cmd');
    switch (cmd) {
      case 'ping':
        return { reply: load };
      case 'mk_token': {
        const token = await this.ctx.auth.mkToken(load);
        return { reply: token ? tokenRecord(token) : '' };
      }
      case 'get_token': {
        if (!('token' in load)) return { reply: false };
        const token = this.ctx.auth.getToken(load.token);
        return { reply: token ? tokenRecord(token) : {} };
      }
      case 'publish':
        return publish(this.ctx, load);
      case 'runner':
        return this.runner(load);
      case 'wheel':
        return this.wheel(load);
      default:
        return { reply: {} };
    }
  }

  /** Authenticate the top-level credentials, then `spec_check` the function for `form`. */
  private async authorize(load: SaltMap, form: 'runner' | 'wheel'): Promise<Authorized> {
    const type = authTypeOf(load);
    const auth = await this.ctx.auth.check(load, type);
    if (auth.error) return { reply: { error: auth.error } };
    const fun = required(load, 'fun');
    const denied = {
      reply: {
        error: { name: ERROR_NAMES[type], message: `Authentication failure of type "${type}" occurred for user ${pythonStr(auth.username)}.` },
      },
    };
    // An empty ACL is refused before the function name is even looked at, as in `spec_check`.
    if (auth.authList.length === 0) return denied;
    if (typeof fun !== 'string') throw new PyError('AttributeError', `'${pyTypeName(fun)}' object has no attribute 'split'`);
    const verdict = specAllowed(auth.authList, fun, isMap(load.kwarg) ? load.kwarg : {}, form);
    if (verdict === 'syntax') {
      return { reply: { error: { name: 'SaltInvocationError', message: 'A command invocation error occurred: Check syntax.' } } };
    }
    if (verdict === 'denied') return denied;
    for (const key of SENSITIVE_KEYS[type]) delete load[key];
    return { fun, user: auth.username };
  }

  private async runner(load: SaltMap): Promise<CommandResult> {
    const auth = await this.authorize(load, 'runner');
    if ('reply' in auth) return auth;
    const started = startRunner(this.ctx, auth.fun, isMap(load.kwarg) ? load.kwarg : {}, auth.user);
    return { reply: started.reply, after: started.run };
  }

  private async wheel(load: SaltMap): Promise<CommandResult> {
    const auth = await this.authorize(load, 'wheel');
    if ('reply' in auth) return auth;
    const { fun: _fun, ...keywords } = load;
    return { reply: await this.wheelClient.call(auth.fun, keywords, auth.user) };
  }
}
