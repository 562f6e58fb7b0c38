/**
 * What the API itself knows about a user's rights, from the master's `external_auth`.
 * The master does the real authorisation; the API needs this for the `perms` of /login
 * (http-api.md §7.4) and to refuse multi-function jobs the master would wrongly allow
 * (security.md, compound ACL).
 */
import type { ExternalAuth } from '../config/types.js';
import { exprMatch, reMatch } from './match.js';
import type { SaltMap, SaltToken, SaltValue } from './types.js';
import { isMap } from './master.js';
import { pythonRepr } from './pythonRepr.js';

type Perms = SaltValue[] | Record<string, never>;

/** Perms per `external_auth` and user: the config never changes, and each login asks again. */
const permsMemo = new WeakMap<ExternalAuth, Map<string, Perms>>();
const PERMS_MEMO_MAX = 1000;

/** `perms` as salt-api computes them: exact user key, then `*`, then `group%` keys; sorted. Shared: not to be modified. */
export function loginPerms(externalAuth: ExternalAuth, token: SaltToken): Perms {
  let memo = permsMemo.get(externalAuth);
  if (!memo) permsMemo.set(externalAuth, (memo = new Map()));
  const key = [token.eauth, token.name, ...(token.groups ?? [])].join('\0');
  let perms = memo.get(key);
  if (!perms) {
    if (memo.size >= PERMS_MEMO_MAX) memo.clear();
    memo.set(key, (perms = computePerms(externalAuth, token)));
  }
  return perms;
}

function computePerms(externalAuth: ExternalAuth, token: SaltToken): Perms {
  const config = externalAuth[token.eauth];
  if (!isMap(config)) return {};
  const entries: SaltValue[] = [];
  const add = (list: SaltValue | undefined) => {
    if (Array.isArray(list)) entries.push(...list);
  };
  add(config[token.name]);
  add(config['*']);
  for (const group of token.groups ?? []) add(config[`${group}%`]);
  const strings = [...new Set(entries.filter((e): e is string => typeof e === 'string'))].sort(codePointOrder);
  const others = new Map<string, SaltValue>();
  for (const entry of entries) if (typeof entry !== 'string') others.set(pythonRepr(entry), entry);
  const sortedOthers = [...others.entries()].sort(([a], [b]) => codePointOrder(a, b)).map(([, v]) => v);
  const perms = [...strings, ...sortedOthers];
  return perms.length > 0 ? perms : {};
}

/** The ACL entries the master would apply to this user (netapi-clients.md §8). */
export function userAcl(externalAuth: ExternalAuth, token: SaltToken): SaltValue[] {
  const config = externalAuth[token.eauth];
  if (!isMap(config)) return [];
  const entries: SaltValue[] = [];
  let userMatched = false;
  for (const [key, list] of Object.entries(config)) {
    if (!Array.isArray(list) || key === '*') continue;
    if (key.endsWith('%')) {
      if ((token.groups ?? []).includes(key.slice(0, -1))) entries.push(...list);
    } else if (exprMatch(token.name, key)) {
      userMatched = true;
      entries.push(...list);
    }
  }
  const star = config['*'];
  if (!userMatched && Array.isArray(star)) entries.push(...star);
  return entries;
}

/** Whether one execution-module function is permitted by some entry, whatever the target. */
export function functionPermitted(acl: SaltValue[], fun: string): boolean {
  if (fun === 'saltutil.find_job') return true;
  return acl.some((entry) => {
    if (typeof entry === 'string') return !entry.startsWith('@') && reMatch(entry, fun);
    if (!isMap(entry)) return false;
    return Object.entries(entry).some(([target, funs]) => {
      if (target.startsWith('@')) return false;
      const list = Array.isArray(funs) ? funs : [funs];
      return list.some((f) => {
        if (typeof f === 'string') return reMatch(f, fun);
        return isMap(f) && Object.keys(f).some((name) => reMatch(name, fun));
      });
    });
  });
}

/**
 * May `fun` run through salt-ssh with these arguments? salt-api checks the minion ACL against the
 * roster's targets (netapi-clients.md §7), but the API cannot expand a roster, so only entries that
 * hold for every minion grant anything: a function regex, or a `{'*': [...]}` entry whose argument
 * restrictions (`{fun: {args, kwargs}}`, regex per value, null = any) the call satisfies.
 */
export function sshFunctionPermitted(acl: SaltValue[], fun: string, args: SaltValue[], kwargs: SaltMap): boolean {
  return acl.some((entry) => {
    if (typeof entry === 'string') return !entry.startsWith('@') && reMatch(entry, fun);
    if (!isMap(entry) || !('*' in entry)) return false;
    const funs = entry['*'];
    return (Array.isArray(funs) ? funs : [funs]).some((condition) => {
      if (typeof condition === 'string') return reMatch(condition, fun);
      const only = isMap(condition) ? Object.entries(condition) : [];
      if (only.length !== 1) return false;
      const [name, restriction] = only[0]!;
      return reMatch(name, fun) && argumentsAllowed(restriction, args, kwargs);
    });
  });
}

/** Salt's `__args_check`: positional conditions by index, keyword conditions by name. */
function argumentsAllowed(restriction: SaltValue, args: SaltValue[], kwargs: SaltMap): boolean {
  if (!isMap(restriction)) return false;
  const matches = (condition: SaltValue | undefined, value: SaltValue | undefined) =>
    condition === null || (typeof condition === 'string' && typeof value === 'string' && reMatch(condition, value));
  if ('args' in restriction) {
    const conditions = Array.isArray(restriction.args) ? restriction.args : [restriction.args];
    if (conditions.length > args.length || !conditions.every((condition, i) => matches(condition, args[i]))) return false;
  }
  if ('kwargs' in restriction) {
    const conditions = restriction.kwargs;
    if (!isMap(conditions)) return false;
    return Object.entries(conditions).every(([key, condition]) => Object.hasOwn(kwargs, key) && matches(condition, kwargs[key]));
  }
  return true;
}

function codePointOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
