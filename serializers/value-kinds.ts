/** How the renderers and the loader tell kinds of values apart, in one place. */

import type { SaltMap, SaltValue } from '../src/salt/types.js';

/** An object literal (or null-prototype object): the only objects rendered as mappings. */
export function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A SaltValue that is a mapping (not a list, not bytes, not a boxed float, not a packed return). */
export function isSaltMap(value: SaltValue | undefined): value is SaltMap {
  return typeof value === 'object' && value !== null && isPlainObject(value);
}

/** Bytes are shown as text, invalid UTF-8 replaced by U+FFFD (Buffer's decoder does exactly that). */
export function bytesToText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
