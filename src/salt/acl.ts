/**
 * What the API itself knows about a user's rights, from the master's `external_auth`.
 * The master does the real authorisation; the API needs this for the `perms` of /login
 * (http-api.md §7.4) and to refuse multi-function jobs the master would wrongly allow
 * (security.md, compound ACL).
 */
import type { ExternalAuth } from '../config/types.js';
import { exprMatch, reMatchStart } from './match.js';
import type { SaltToken, SaltValue } from './types.js';
import { isMap } from './master.js';

/** `perms` as salt-api computes them: exact user key, then `*`, then `group%` keys; sorted. */
export function loginPerms(externalAuth: ExternalAuth, token: SaltToken): SaltValue[] | Record<string, never> {
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
    if (typeof entry === 'string') return !entry.startsWith('@') && reMatchStart(fun, entry);
    if (!isMap(entry)) return false;
    return Object.entries(entry).some(([target, funs]) => {
      if (target.startsWith('@')) return false;
      const list = Array.isArray(funs) ? funs : [funs];
      return list.some((f) => {
        if (typeof f === 'string') return reMatchStart(fun, f);
        return isMap(f) && Object.keys(f).some((name) => reMatchStart(fun, name));
      });
    });
  });
}

function codePointOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Python's `repr` of JSON-like data, which salt-api sorts non-string perms by. */
export function pythonRepr(value: SaltValue): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (value instanceof Uint8Array) return `b'${Buffer.from(value).toString('latin1')}'`;
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`)
    .join(', ')}}`;
}
