/** How the renderers and the loader tell kinds of values apart, in one place. */

import type { SaltMap, SaltValue } from '../src/salt/types.js';
import { PyFloat } from './python-values.js';

/** An object literal (or null-prototype object): the only objects rendered as mappings. */
export function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A SaltValue that is a mapping (not a list, not bytes, not a boxed float). */
export function isSaltMap(value: SaltValue): value is SaltMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof PyFloat);
}

/** Bytes are shown as text, invalid UTF-8 replaced by U+FFFD (Buffer's decoder does exactly that). */
export function bytesToText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
