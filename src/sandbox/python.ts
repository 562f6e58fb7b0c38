/**
 * The few pieces of Python semantics the simulated master must reproduce: exceptions that end up as
 * text in replies, `str()`/`repr()` of decoded values and `int()` conversion. Salt's messages are
 * built from these, and clients match on that text.
 */
import type { SaltMap, SaltValue } from '../salt/types.js';
import { truthy } from '../salt/fields.js';
import { pythonRepr } from '../salt/pythonRepr.js';
import { PyFloat } from '../../serializers/python-values.js';

/** A Python exception: `type` is the class name Salt prints in front of the message. */
export class PyError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }

  /** `"<Class>: <message>"`, the way Salt formats exceptions in wheel/runner returns. */
  describe(): string {
    return `${this.type}: ${this.message}`;
  }
}

export function isMap(value: unknown): value is SaltMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof PyFloat);
}

/** Python's type name of a decoded value, for TypeError messages. */
export function pyTypeName(value: SaltValue): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'bigint') return 'int';
  if (value instanceof PyFloat) return 'float';
  if (typeof value === 'string') return 'str';
  if (value instanceof Uint8Array) return 'bytes';
  return Array.isArray(value) ? 'list' : 'dict';
}

/** Python `int()` of a decoded value, raising the same errors. */
export function pyInt(value: SaltValue): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof PyFloat) return Math.trunc(value.value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new PyError('OverflowError', 'cannot convert float infinity to integer');
    return Math.trunc(value);
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (/^[+-]?\d+(?:_\d+)*$/.test(text)) return Number.parseInt(text.replace(/_/g, ''), 10);
    throw new PyError('ValueError', `invalid literal for int() with base 10: ${pythonRepr(value)}`);
  }
  throw new PyError(
    'TypeError',
    `int() argument must be a string, a bytes-like object or a real number, not '${pyTypeName(value)}'`,
  );
}

/** Python truthiness: the same rule the API applies to flags. */
export const pyTruthy = truthy;

/** `dict.pop(key)` without a default: the value, or KeyError. */
export function required(load: SaltMap, key: string): SaltValue {
  if (!(key in load)) throw new PyError('KeyError', pythonRepr(key));
  return load[key]!;
}

