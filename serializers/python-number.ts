/**
 * Numbers spelled the way Python spells them (python-values.ts says how ints and floats are told
 * apart): an int as its digits, a float as Python's `repr()`: the same shortest round-trip digits
 * as JavaScript, but in exponent notation below 1e-4 and from 1e16 on, with a sign and at least
 * two exponent digits (`1e-05`, `1e+16`, where JavaScript writes `0.00001` and `10000000000000000`),
 * and with `.0` on integer values (`1.0`, `-0.0`).
 */

import { PyFloat } from './python-values.js';

/** Ints up to this magnitude are plain numbers; beyond it they are bigints (python-values.ts). */
const INT_LIMIT = 2 ** 53;
/** Python's `repr()` writes floats in exponent notation below this magnitude (and above zero)… */
const EXPONENT_BELOW = 1e-4;
/** …and from this one on. */
const EXPONENT_FROM = 1e16;

/** Whether a plain number stands for a Python int: an integer within ±2^53. */
export function isPythonInt(value: number): boolean {
  return Number.isInteger(value) && Math.abs(value) <= INT_LIMIT;
}

/** Python's `repr()` of a float: `1.0`, `-0.0`, `0.1`, `1e-05`, `1e+16`, `inf`, `nan`. */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const magnitude = Math.abs(value);
  if (magnitude < EXPONENT_BELOW || magnitude >= EXPONENT_FROM) {
    const text = value.toExponential();
    const at = text.indexOf('e');
    const sign = text.charAt(at + 1);
    const digits = text.slice(at + 2);
    return `${text.slice(0, at)}e${sign}${digits.length < 2 ? '0' + digits : digits}`;
  }
  const text = String(value);
  return text.includes('.') ? text : text + '.0';
}

/** A decoded number (plain, a boxed float or a bigint int) as Python's `repr()` writes it. */
export function pythonNumber(value: number | bigint | PyFloat): string {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof PyFloat) return pythonFloatRepr(value.value);
  // `+ 0` turns -0 into 0: an integer-valued plain -0 is an int, which has no sign of zero.
  return isPythonInt(value) ? String(value + 0) : pythonFloatRepr(value);
}

/** A number as Python's `json.dumps` writes it, non-finite values included (`NaN`, `Infinity`). */
export function pythonJsonNumber(value: number | bigint | PyFloat): string {
  const number = typeof value === 'bigint' ? 0 : typeof value === 'number' ? value : value.value;
  if (Number.isFinite(number)) return pythonNumber(value);
  if (Number.isNaN(number)) return 'NaN';
  return number > 0 ? 'Infinity' : '-Infinity';
}
