/**
 * Typed readers for the values that end up on salt-ssh's command line. salt-ssh pastes several of
 * them into an ssh command string and splits it again with shlex (CVE-2020-16846, CVE-2021-3197,
 * CVE-2021-3148), so a value may hold no whitespace, quote or control character, may not look like
 * an option, and may never mention ProxyCommand. Anything else is a 400 naming the field.
 */
import { Errors } from '../../errors.js';
import type { LowstateChunk, SaltValue } from '../types.js';

const WHITESPACE_OR_CONTROL = /[\s\x00-\x1f\x7f]/u;
const QUOTES_OR_ESCAPES = /['"`\\]/;

/** The checks every value passed to salt-ssh gets, whatever its field. */
export function refuseInjection(field: string, text: string): string {
  if (text === '') throw Errors.InvalidField(field, 'a non-empty value');
  if (WHITESPACE_OR_CONTROL.test(text)) throw Errors.InvalidField(field, 'a value without whitespace or control characters');
  if (QUOTES_OR_ESCAPES.test(text)) throw Errors.InvalidField(field, 'a value without quotes, backquotes or backslashes');
  if (text.startsWith('-')) throw Errors.InvalidField(field, "a value that does not start with '-'");
  if (/proxycommand/i.test(text)) throw Errors.InvalidField(field, 'a value that does not mention ProxyCommand');
  return text;
}

/** A string matching `pattern`, described by `expected` in the 400. */
export function patternValue(field: string, value: SaltValue, pattern: RegExp, expected: string): string {
  if (typeof value !== 'string') throw Errors.InvalidField(field, expected);
  refuseInjection(field, value);
  if (!pattern.test(value)) throw Errors.InvalidField(field, expected);
  return value;
}

/** An integer in [min, max]; decimal strings count, as form bodies send them. */
export function integerValue(field: string, value: SaltValue, min: number, max: number): number {
  const number = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw Errors.InvalidField(field, `an integer from ${min} to ${max}`);
  }
  return number;
}

/** A number of seconds in (0, max]; decimal strings count. */
export function secondsValue(field: string, value: SaltValue, max: number): number {
  const number = typeof value === 'string' && /^\d{1,6}(\.\d{1,6})?$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number) || number <= 0 || number > max) {
    throw Errors.InvalidField(field, `a number of seconds above 0 and up to ${max}`);
  }
  return number;
}

const TRUE = new Set<SaltValue>([true, 1, 'true', 'True', '1']);
const FALSE = new Set<SaltValue>([false, 0, 'false', 'False', '0']);

/** A flag; Python's bool() would make the string "false" true, so only clear spellings count. */
export function booleanValue(field: string, value: SaltValue): boolean {
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw Errors.InvalidField(field, 'true or false');
}

/** A list given as a list of scalars or as one comma-separated string, each item checked. */
export function listValue(field: string, value: SaltValue, item: (text: string) => boolean, expected: string): string[] {
  const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  if (items === undefined || items.length === 0) throw Errors.InvalidField(field, expected);
  return items.map((entry) => {
    const text = typeof entry === 'number' && Number.isInteger(entry) ? String(entry) : entry;
    if (typeof text !== 'string' || !item(refuseInjection(field, text))) throw Errors.InvalidField(field, expected);
    return text;
  });
}

/** The chunk's value for `field`, or undefined when absent or null (an empty form value). */
export function present(chunk: LowstateChunk, field: string): SaltValue | undefined {
  const value = Object.hasOwn(chunk, field) ? chunk[field] : undefined;
  return value === null ? undefined : value;
}
