/** Python's `repr` and `str` of decoded data: salt-api sorts non-string perms by repr and puts values into its messages with str. */
import type { SaltValue } from './types.js';

export function pythonRepr(value: SaltValue): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
  if (value instanceof Uint8Array) return `b'${Buffer.from(value).toString('latin1')}'`;
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`)
    .join(', ')}}`;
}

/**
 * Python's `str`, as Salt's messages format a value: a string as it is, anything else as its repr
 * (`None` for a missing value). Never JavaScript's String(): a hostile body can hold a mapping
 * whose `toString` key is no function, on which String() throws.
 */
export function pythonStr(value: SaltValue | undefined): string {
  if (typeof value === 'string') return value;
  return pythonRepr(value ?? null);
}
