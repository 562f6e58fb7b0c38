/**
 * `salt.utils.data.traverse_dict_and_list` and `subdict_match`: the nested-key lookups behind
 * `grains.get`, `grains.item` and grain targeting (`os:Debian`, `ipv4:10.*`, `systemd:version:25*`).
 */
import type { SaltMap, SaltValue } from '../salt/types.js';
import { fnmatch, reMatch } from '../salt/match.js';
import { isMap } from './python.js';
import { pythonStr } from '../salt/pythonRepr.js';

/** Look up `key` (split on `delimiter`) through dicts and lists, or return `fallback`. */
export function traverse(data: SaltValue, key: string, fallback: SaltValue, delimiter = ':'): SaltValue {
  let ptr: SaltValue = data;
  for (const part of key.split(delimiter)) {
    if (Array.isArray(ptr)) {
      // A list is searched for an embedded dict holding the key before being indexed.
      const embedded = ptr.find((item) => isMap(item) && Object.hasOwn(item, part));
      if (isMap(embedded)) {
        ptr = embedded[part]!;
      } else if (/^-?\d+$/.test(part)) {
        const idx = Number(part) < 0 ? ptr.length + Number(part) : Number(part);
        if (idx < 0 || idx >= ptr.length) return fallback;
        ptr = ptr[idx]!;
      } else {
        return fallback;
      }
    } else if (isMap(ptr) && Object.hasOwn(ptr, part)) {
      ptr = ptr[part]!;
    } else {
      return fallback;
    }
  }
  return ptr;
}

export interface MatchMode {
  regex?: boolean;
  exact?: boolean;
}

/** Salt compares the lower-cased `str()` of both sides. */
function matchValue(target: SaltValue, pattern: string, mode: MatchMode): boolean {
  const value = pythonStr(target).toLowerCase();
  const pat = pattern.toLowerCase();
  if (mode.regex) return reMatch(pat, value);
  return mode.exact ? value === pat : fnmatch(value, pat);
}

function dictMatch(target: SaltMap, pattern: string, delimiter: string, mode: MatchMode): boolean {
  const wildcard = pattern.startsWith('*:');
  const pat = wildcard ? pattern.slice(2) : pattern;
  if (pat === '*' || Object.hasOwn(target, pat) || subdictMatch(target, pat, delimiter, mode)) return true;
  if (!wildcard) return false;
  return Object.values(target).some((value) => {
    if (isMap(value)) return dictMatch(value, pat, delimiter, mode);
    if (Array.isArray(value)) return value.some((item) => matchValue(item, pat, mode));
    return matchValue(value, pat, mode);
  });
}

function isEmptyDict(value: SaltValue): boolean {
  return isMap(value) && Object.keys(value).length === 0;
}

/** Does `expr` (`key<delim>…<delim>pattern`) match somewhere in `data`? */
export function subdictMatch(data: SaltMap, expr: string, delimiter = ':', mode: MatchMode = {}): boolean {
  const splits = expr.split(delimiter);
  // Longest key first: `a:b:c` tries key `a:b` with pattern `c`, then key `a` with `b:c`.
  for (let idx = splits.length - 1; idx > 0; idx--) {
    const key = splits.slice(0, idx).join(delimiter);
    const matchstr = key === '*' ? expr : splits.slice(idx).join(delimiter);
    const match = key === '*' ? data : traverse(data, key, {}, delimiter);
    if (isEmptyDict(match)) continue;
    if (isMap(match)) {
      if (dictMatch(match, matchstr, delimiter, mode)) return true;
    } else if (Array.isArray(match)) {
      for (const member of match) {
        if (isMap(member) && dictMatch(member, matchstr, delimiter, mode)) return true;
        if (matchValue(member, matchstr, mode)) return true;
      }
    } else if (matchValue(match, matchstr, mode)) {
      return true;
    }
  }
  return false;
}
