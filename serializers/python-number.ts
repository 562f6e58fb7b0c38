/**
 * Numbers spelled the way Python spells them. salt-api serialises Python ints and floats; a JS
 * number cannot tell 1 from 1.0, so integer-valued numbers are written as Python ints and all
 * others with Python's float repr(): the same shortest round-trip digits as JS, but exponent
 * notation below 1e-4 with at least two exponent digits (`1e-05`, where JS writes `0.00001`).
 * Callers handle NaN and the infinities, whose spelling differs between JSON and YAML.
 */

/** Above this, JS switches integers to exponent notation while Python ints keep every digit. */
const JS_EXPONENT_FROM = 1e21;
/** Below this (and above zero), Python's repr() switches floats to exponent notation. */
const PYTHON_EXPONENT_BELOW = 1e-4;

export function pythonNumber(value: number): string {
  const magnitude = Math.abs(value);
  if (Number.isInteger(value)) {
    // `+ 0` turns -0 into 0: an integer-valued -0 comes from an int, which has no sign of zero.
    return magnitude < JS_EXPONENT_FROM ? String(value + 0) : BigInt(value).toString();
  }
  if (magnitude >= PYTHON_EXPONENT_BELOW) return String(value);
  const [mantissa = '', exponent = ''] = value.toExponential().split('e');
  const sign = exponent.startsWith('-') ? '-' : '+';
  const digits = exponent.replace(/^[-+]/, '');
  return `${mantissa}e${sign}${digits.padStart(2, '0')}`;
}

/** A number as Python's `json.dumps` writes it, non-finite values included (`NaN`, `Infinity`). */
export function pythonJsonNumber(value: number): string {
  if (Number.isFinite(value)) return pythonNumber(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}
