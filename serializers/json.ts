/**
 * `application/json`: parsing with a nesting cap, and rendering byte-compatible with Python's
 * `json.dumps(obj, ensure_ascii=False)` as salt-api sends it (`", "` and `": "` separators, no
 * indentation, no trailing newline, keys in insertion order, non-ASCII as raw UTF-8).
 */

import { Errors } from '../src/errors.js';
import { pythonJsonNumber } from './python-number.js';
import type { ParseOptions, Serializer } from './types.js';
import { bytesToText, isPlainObject } from './value-kinds.js';

const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether the text opens more than `maxDepth` arrays/objects at once. Runs before JSON.parse so
 * a hostile 100k-deep document is refused in one linear pass, without building anything.
 */
function nestsDeeperThan(text: string, maxDepth: number): boolean {
  // Every level needs its own bracket, so a text this short cannot be too deep.
  if (text.length <= maxDepth) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      if (++depth > maxDepth) return true;
    } else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

/** Parse a JSON document: 400 when it nests deeper than `maxDepth`, 400 "Invalid JSON document" when malformed. */
export function parseJson(text: string, options: ParseOptions): unknown {
  if (nestsDeeperThan(text, options.maxDepth)) {
    throw Errors.BadRequest(`JSON document nests deeper than ${options.maxDepth} levels`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw Errors.InvalidJson();
  }
}

/**
 * A JSON string literal. Most strings need no escaping and are quoted directly, which is much
 * cheaper than a JSON.stringify call; the rest go through JSON.stringify, whose escapes (`"`, `\`,
 * C0 controls as `\n` or `\u00xx`) are exactly Python's with ensure_ascii=False.
 */
function quote(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === QUOTE || code === BACKSLASH || (code >= 0xd800 && code <= 0xdfff)) return JSON.stringify(text);
  }
  return '"' + text + '"';
}

/** One value as JSON text; `undefined` means "leave the member out", as JSON.stringify does. */
function write(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return pythonJsonNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'undefined':
      return undefined;
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return writeArray(value);
      if (value instanceof Uint8Array) return quote(bytesToText(value));
      if (isPlainObject(value)) return writeObject(value);
      throw Errors.NotSerializable();
    default:
      throw Errors.NotSerializable();
  }
}

function writeArray(items: readonly unknown[]): string {
  if (items.length === 0) return '[]';
  let out = '[' + (write(items[0]) ?? 'null');
  for (let i = 1; i < items.length; i++) out += ', ' + (write(items[i]) ?? 'null');
  return out + ']';
}

function writeObject(object: Record<string, unknown>): string {
  let out = '{';
  let separator = '';
  for (const key of Object.keys(object)) {
    const member = write(object[key]);
    if (member === undefined) continue;
    out += separator + quote(key) + ': ' + member;
    separator = ', ';
  }
  return out + '}';
}

/**
 * Render like `json.dumps(value, ensure_ascii=False)`. Types Python's encoder would refuse
 * (functions, symbols, class instances, Maps, Dates) throw 500 "Could not serialize…".
 */
export function renderJson(value: unknown): string {
  return write(value) ?? 'null';
}

export const jsonSerializer: Serializer = {
  name: 'json',
  mediaTypes: ['application/json'],
  contentType: 'application/json',
  parse: parseJson,
  render: renderJson,
};
