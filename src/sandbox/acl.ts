/**
 * The master's authorisation checks (`CkMinions.auth_check` for publishes, `spec_check` for
 * runner/wheel), reproduced with their weaknesses: a compound job is allowed as soon as any one of
 * its functions is (netapi-clients.md §8). The API guards against that; the sandbox must not.
 */
import type { SaltMap, SaltValue } from '../salt/types.js';
import { reMatch } from '../salt/match.js';
import { isMap } from './python.js';

/** The always-allowed function LocalClient needs to poll running jobs. */
const WHITELIST = ['saltutil.find_job'];

/** `match_check`: a regex applied with `re.match`; non-string values never match. */
function matchCheck(regex: SaltValue, value: SaltValue | undefined): boolean {
  return typeof regex === 'string' && typeof value === 'string' && reMatch(regex, value);
}

function singleKey(entry: SaltValue): [string, SaltValue] | undefined {
  if (!isMap(entry)) return undefined;
  const entries = Object.entries(entry);
  return entries.length === 1 ? entries[0] : undefined;
}

/** `__args_check`: positional conditions by index, keyword conditions by name; null allows anything. */
function argsCheck(valid: SaltValue, args: SaltValue[] | undefined, kwargs: SaltMap | undefined): boolean {
  if (!isMap(valid)) return false;
  if ('args' in valid) {
    const conditions = Array.isArray(valid.args) ? valid.args : [valid.args];
    if (args === undefined || conditions.length > args.length) return false;
    for (const [i, condition] of conditions.entries()) {
      if (condition !== null && !matchCheck(condition, args[i])) return false;
    }
  }
  if ('kwargs' in valid) {
    if (!isMap(valid.kwargs) || kwargs === undefined) return false;
    for (const [key, condition] of Object.entries(valid.kwargs)) {
      if (!(key in kwargs)) return false;
      if (condition !== null && !matchCheck(condition, kwargs[key])) return false;
    }
  }
  return true;
}

/** `__fun_check`: one entry or a list of entries, each a regex or `{regex: {args, kwargs}}`. */
function funCheck(valid: SaltValue, fun: string, args?: SaltValue[], kwargs?: SaltMap): boolean {
  for (const condition of Array.isArray(valid) ? valid : [valid]) {
    if (typeof condition === 'string') {
      if (matchCheck(condition, fun)) return true;
      continue;
    }
    const pair = singleKey(condition);
    if (pair && matchCheck(pair[0], fun) && argsCheck(pair[1], args, kwargs)) return true;
  }
  return false;
}

/** A publish's `arg` list split as the ACL sees it: a trailing `__kwarg__` dict holds the keywords. */
function splitArgs(arg: SaltValue | undefined): { args?: SaltValue[]; kwargs?: SaltMap } {
  if (!Array.isArray(arg)) return {};
  const last = arg[arg.length - 1];
  if (isMap(last) && last.__kwarg__ === true) return { args: arg.slice(0, -1), kwargs: last };
  return { args: arg };
}

/**
 * May the user publish `fun` with `arg` to `minions`? `resolve` evaluates a compound expression of
 * a `{<target>: [...]}` ACL entry to the set of minions it covers.
 */
export function publishAllowed(
  authList: readonly SaltValue[],
  fun: SaltValue,
  arg: SaltValue,
  minions: readonly string[],
  resolve: (expr: string) => ReadonlySet<string>,
): boolean {
  const funs = Array.isArray(fun) ? fun : [fun];
  const argLists = Array.isArray(fun) ? (Array.isArray(arg) ? arg : []) : [arg];
  for (let num = 0; num < funs.length; num++) {
    const f = funs[num];
    if (typeof f !== 'string') continue;
    if (WHITELIST.includes(f)) return true;
    const { args, kwargs } = splitArgs(argLists[num]);
    for (const entry of authList) {
      if (typeof entry === 'string') {
        if (matchCheck(entry, f)) return true;
        continue;
      }
      const pair = singleKey(entry);
      if (!pair) continue;
      const allowed = resolve(pair[0]);
      if (minions.every((id) => allowed.has(id)) && funCheck(pair[1], f, args, kwargs)) return true;
    }
  }
  return false;
}

export type SpecResult = 'allowed' | 'denied' | 'syntax';

/** `spec_check` for `form` runner or wheel: `@runner`, `@wheel`, `@<module>`, and their dict forms. */
export function specAllowed(authList: readonly SaltValue[], fun: string, kwarg: SaltMap, form: 'runner' | 'wheel'): SpecResult {
  const comps = fun.split('.');
  if (comps.length !== 2) return 'syntax';
  const [modName, funName] = comps as [string, string];
  const args = Array.isArray(kwarg.arg) ? kwarg.arg : undefined;
  const kwargs = isMap(kwarg.kwarg) ? kwarg.kwarg : undefined;
  const forms = [`@${form}`, `@${form}s`];
  for (const entry of authList) {
    if (typeof entry === 'string') {
      if (entry === `@${modName}` || forms.includes(entry)) return 'allowed';
      continue;
    }
    const pair = singleKey(entry);
    if (!pair || !pair[0].startsWith('@')) continue;
    if (pair[0] === `@${modName}` && funCheck(pair[1], funName, args, kwargs)) return 'allowed';
    if (forms.includes(pair[0]) && funCheck(pair[1], fun, args, kwargs)) return 'allowed';
  }
  return 'denied';
}
