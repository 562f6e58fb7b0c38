/**
 * salt.utils.dictupdate.update(dest, upd, recursive_update=True, merge_lists=True): how Salt
 * combines the files matched by one `include`/`default_include` entry list.
 */

import { setMember } from '../../serializers/set-member.js';

export type ConfigMap = Record<string, unknown>;

export function isConfigMap(value: unknown): value is ConfigMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/** Python `==` on YAML data: structural, and `True == 1`, `False == 0`. */
function pyEquals(a: unknown, b: unknown): boolean {
  if (typeof a === 'boolean' && typeof b === 'number') return Number(a) === b;
  if (typeof a === 'number' && typeof b === 'boolean') return a === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => pyEquals(item, b[i]));
  if (isConfigMap(a) && isConfigMap(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && pyEquals(a[key], b[key]));
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(b);
  return a === b;
}

/** dict.update(): `source`'s top-level keys replace `target`'s. */
export function assignOwn(target: ConfigMap, source: ConfigMap): void {
  for (const [key, value] of Object.entries(source)) setMember(target, key, value);
}

/**
 * Merge `upd` into a copy of `dest`: mappings merge recursively, lists are concatenated without
 * adding items already present, anything else is replaced by `upd`'s value.
 */
export function mergeConfig(dest: ConfigMap, upd: ConfigMap): ConfigMap {
  const merged: ConfigMap = { ...dest };
  for (const [key, value] of Object.entries(upd)) {
    const current = merged[key];
    if (isConfigMap(current) && isConfigMap(value)) setMember(merged, key, mergeConfig(current, value));
    else if (Array.isArray(current) && Array.isArray(value)) {
      setMember(merged, key, current.concat(value.filter((item) => !current.some((existing) => pyEquals(existing, item)))));
    } else setMember(merged, key, value);
  }
  return merged;
}
