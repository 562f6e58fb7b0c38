/**
 * PyYAML's YAML 1.1 scalar rules, shared by the loader (what a plain scalar means) and the
 * renderer (whether a string may be written plain or must be quoted to read back as a string).
 * The regular expressions are PyYAML's own `Resolver` patterns; js-yaml's YAML 1.1 schema
 * differs in details (`y`/`n` booleans, octal `010`), so they are not used.
 */

export type ScalarTag = 'bool' | 'int' | 'float' | 'null' | 'timestamp' | 'merge' | 'value' | 'yaml' | 'str';

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;

const BOOL_FIRST = new Set('yYnNtTfFoO');
const NUMBER_FIRST = new Set('-+0123456789.');
const NULL_FIRST = new Set(['', '~', 'n', 'N']);
const DIGITS = new Set('0123456789');

/**
 * The tag PyYAML's resolver gives a plain scalar. Like PyYAML, resolvers are looked up by the
 * first character (most strings start with a letter that rules out all but one or two) and
 * tried in PyYAML's registration order. Salt's loader (3007) drops the implicit timestamp
 * resolver, so dates stay strings when read; the dumper keeps it, so date-like strings are
 * quoted when written.
 */
export function resolvePlainScalar(text: string, withTimestamp: boolean): ScalarTag {
  const first = text.charAt(0);
  if (BOOL_FIRST.has(first) && BOOL.test(text)) return 'bool';
  if (NUMBER_FIRST.has(first)) {
    if (FLOAT.test(text)) return 'float';
    if (INT.test(text)) return 'int';
  }
  if (text === '<<') return 'merge';
  if (NULL_FIRST.has(first) && NULL.test(text)) return 'null';
  if (withTimestamp && DIGITS.has(first) && TIMESTAMP.test(text)) return 'timestamp';
  if (text === '=') return 'value';
  if (text === '!' || text === '&' || text === '*') return 'yaml';
  return 'str';
}

export class ScalarValueError extends Error {}

/** PyYAML `construct_yaml_bool`: only the six YAML 1.1 words, any case. */
export function constructBool(text: string): boolean {
  switch (text.toLowerCase()) {
    case 'yes':
    case 'true':
    case 'on':
      return true;
    case 'no':
    case 'false':
    case 'off':
      return false;
    default:
      throw new ScalarValueError(`not a boolean: ${text}`);
  }
}

const RADIX_PREFIX: Readonly<Record<number, string>> = { 2: '0b', 8: '0o', 10: '', 16: '0x' };

function parseDigits(digits: string, radix: number, pattern: RegExp): bigint {
  if (!pattern.test(digits)) throw new ScalarValueError(`not an integer: ${digits}`);
  return BigInt(RADIX_PREFIX[radix] + digits);
}

function sexagesimal(text: string, part: (digits: string) => bigint): bigint {
  let total = 0n;
  for (const digits of text.split(':')) total = total * 60n + part(digits);
  return total;
}

function sexagesimalFloat(text: string, part: (digits: string) => number): number {
  let total = 0;
  for (const digits of text.split(':')) total = total * 60 + part(digits);
  return total;
}

/** Ints up to this magnitude are plain numbers, larger ones bigints (python-values.ts). */
const INT_LIMIT = 2n ** 53n;

function exactInt(value: bigint): number | bigint {
  return value > INT_LIMIT || value < -INT_LIMIT ? value : Number(value);
}

/**
 * Salt's `construct_scalar` strips leading zeros from ints (so `010` is 10, not octal 8) before
 * PyYAML's `construct_yaml_int` reads it; a leading sign keeps the octal reading, as in Salt.
 * Python ints have no size limit: beyond 2^53 the value is an exact bigint.
 */
export function constructInt(text: string): number | bigint {
  let value = text;
  if (value !== '0' && value.startsWith('0') && !value.startsWith('0b') && !value.startsWith('0x')) {
    value = value.replace(/^0+/, '') || '0';
  }
  value = value.replaceAll('_', '');
  const sign = value.startsWith('-') ? -1n : 1n;
  if (value.startsWith('-') || value.startsWith('+')) value = value.slice(1);
  if (value === '0') return 0;
  if (value.startsWith('0b')) return exactInt(sign * parseDigits(value.slice(2), 2, /^[01]+$/));
  if (value.startsWith('0x')) return exactInt(sign * parseDigits(value.slice(2), 16, /^[0-9a-fA-F]+$/));
  if (value.startsWith('0')) return exactInt(sign * parseDigits(value, 8, /^[0-7]+$/));
  if (value.includes(':')) return exactInt(sign * sexagesimal(value, (digits) => parseDigits(digits, 10, /^[0-9]+$/)));
  return exactInt(sign * parseDigits(value.trim(), 10, /^[0-9]+$/));
}

/** Python's `float()` on text that `construct_yaml_float` has lower-cased and stripped of its sign. */
function pythonFloat(text: string): number {
  const trimmed = text.trim();
  if (/^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[-+]?[0-9]+)?$/.test(trimmed)) return Number(trimmed);
  if (/^[-+]?inf(?:inity)?$/.test(trimmed)) return trimmed.startsWith('-') ? -Infinity : Infinity;
  if (/^[-+]?nan$/.test(trimmed)) return NaN;
  throw new ScalarValueError(`not a float: ${text}`);
}

/** PyYAML `construct_yaml_float`, sexagesimal `1:30.5` and `.inf`/`.nan` included. */
export function constructFloat(text: string): number {
  let value = text.replaceAll('_', '').toLowerCase();
  const sign = value.startsWith('-') ? -1 : 1;
  if (value.startsWith('-') || value.startsWith('+')) value = value.slice(1);
  if (value === '.inf') return sign * Infinity;
  if (value === '.nan') return NaN;
  if (value.includes(':')) return sign * sexagesimalFloat(value, pythonFloat);
  return sign * pythonFloat(value);
}
