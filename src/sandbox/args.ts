/** `salt.utils.args`: how a minion turns `name=value` strings into keyword arguments. */
import { YAML11_SCHEMA, load } from 'js-yaml';
import type { SaltValue } from '../salt/types.js';
import { isMap } from './python.js';

/** `KWARG_REGEX`: a Python identifier-ish name, `=`, not `==`, then the value on one line. */
const KWARG = /^([\p{L}_][\p{L}\p{N}_.-]*)=(?!=)(.*)$/u;

/** Only plain data survives: anything YAML makes of a value that msgpack cannot carry is refused. */
function asSaltValue(value: unknown): SaltValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) {
    const items = value.map(asSaltValue);
    return items.every((item) => item !== undefined) ? (items as SaltValue[]) : undefined;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, SaltValue> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const item = asSaltValue(v);
      if (item === undefined) return undefined;
      out[k] = item;
    }
    return out;
  }
  return undefined;
}

/** `yamlify_arg`: YAML-load a string argument unless that would change what the user meant. */
export function yamlifyArg(arg: string): SaltValue {
  const trimmed = arg.trim();
  if (trimmed === '') return arg;
  if (arg.includes('_') && /^[0-9_]+$/.test(trimmed)) return arg;
  let parsed: SaltValue | undefined;
  try {
    parsed = arg === 'None' ? null : asSaltValue(load(arg, { schema: YAML11_SCHEMA }));
  } catch {
    return arg;
  }
  if (parsed === undefined) return arg;
  if (arg.includes('#')) return typeof parsed === 'string' || parsed === null ? arg : parsed;
  if (Array.isArray(parsed)) return arg.startsWith('[') ? parsed : arg;
  if (isMap(parsed)) return arg.startsWith('{') ? parsed : arg;
  if (parsed === '' && (arg === '|' || arg === '!')) return arg;
  if (parsed === null && (trimmed.startsWith('#') || arg === '!')) return arg;
  return parsed;
}

/** `parse_kwarg`: `[name, yamlified value]` for a `name=value` string, else undefined. */
export function parseKwarg(arg: string): [string, SaltValue] | undefined {
  const m = KWARG.exec(arg);
  return m ? [m[1]!, yamlifyArg(m[2]!)] : undefined;
}
