/**
 * JSON output byte-compatible with Python's `json.dumps(obj, ensure_ascii=False)` as salt-api
 * sends it (`", "` and `": "` separators, no indentation, no trailing newline, keys in Python's
 * order, non-ASCII as raw UTF-8), written as UTF-8 bytes straight into a {@link ByteWriter}:
 * whole (`renderJsonBytes`) or in chunks (`renderJsonChunks`, see serializers/chunks.ts).
 */

import { Errors } from '../src/errors.js';
import { PackedValue } from '../src/salt/packedValue.js';
import { chunksWithWriter, withWriter, type ByteWriter } from './byte-writer.js';
import { STREAM_DEPTH, type ChunkOptions } from './chunks.js';
import { pythonJsonNumber } from './python-number.js';
import { PyFloat, dictInfo, orderedKeys } from './python-values.js';
import { bytesToText, isPlainObject } from './value-kinds.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const SPACE = 0x20;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const INT_LIMIT = 2 ** 53;
/** Yielded while checking: no bytes yet, a turn for the event loop. */
const EMPTY = Buffer.alloc(0);

/**
 * A JSON string literal. Text without anything to escape is copied directly (ASCII a byte per
 * character); the rest goes through JSON.stringify, whose escapes (`"`, `\`, C0 controls as `\n`
 * or `\u00xx`, lone surrogates as `\udxxx`) are exactly Python's with ensure_ascii=False.
 */
function writeString(w: ByteWriter, text: string): void {
  const length = text.length;
  w.ensure(length + 2);
  const buf = w.buf;
  const start = w.pos;
  let pos = start;
  buf[pos++] = QUOTE;
  let i = 0;
  for (; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80 || code < 0x20 || code === QUOTE || code === BACKSLASH) break;
    buf[pos++] = code;
  }
  if (i === length) {
    buf[pos++] = QUOTE;
    w.pos = pos;
    return;
  }
  const asciiEnd = i;
  for (; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === QUOTE || code === BACKSLASH || (code >= 0xd800 && code <= 0xdfff)) {
      w.pos = start;
      w.text(JSON.stringify(text));
      return;
    }
  }
  // Non-ASCII without escapes: the ASCII prefix is in place, the rest is encoded natively.
  w.pos = pos;
  w.textRange(text, asciiEnd, length);
  w.byte(QUOTE);
}

function writeNumber(w: ByteWriter, value: number): void {
  if (Number.isInteger(value) && value <= INT_LIMIT && value >= -INT_LIMIT) {
    if (value >= 0 && value < 10) {
      w.byte(0x30 + value);
      return;
    }
    // `+ 0` turns -0 into 0: an integer-valued plain -0 is an int, which has no sign of zero.
    w.ascii(String(value + 0));
    return;
  }
  w.ascii(pythonJsonNumber(value));
}

function writeSeparator(w: ByteWriter, code: number): void {
  w.ensure(2);
  w.buf[w.pos++] = code;
  w.buf[w.pos++] = SPACE;
}

/** One value; `undefined` is `null` here (members holding it are left out before this is called). */
function writeValue(w: ByteWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      writeString(w, value);
      return;
    case 'number':
      writeNumber(w, value);
      return;
    case 'boolean':
      w.ascii(value ? 'true' : 'false');
      return;
    case 'bigint':
      w.ascii(value.toString());
      return;
    case 'undefined':
      w.ascii('null');
      return;
    case 'object':
      if (value === null) w.ascii('null');
      else if (Array.isArray(value)) writeArray(w, value);
      else if (value instanceof Uint8Array) writeString(w, bytesToText(value));
      else if (isPlainObject(value)) writeObject(w, value);
      else if (value instanceof PyFloat) w.ascii(pythonJsonNumber(value));
      else if (value instanceof PackedValue) writeValue(w, value.unpack());
      else throw Errors.NotSerializable();
      return;
    default:
      throw Errors.NotSerializable();
  }
}

function writeArray(w: ByteWriter, items: readonly unknown[]): void {
  w.byte(OPEN_BRACKET);
  for (let i = 0; i < items.length; i++) {
    if (i > 0) writeSeparator(w, COMMA);
    writeValue(w, items[i]);
  }
  w.byte(CLOSE_BRACKET);
}

/** The keys of a mapping in Python's order; most mappings keep no order of their own (python-values.ts). */
function keysOf(object: Record<string, unknown>): string[] {
  const info = dictInfo(object);
  return info === undefined ? Object.keys(object) : orderedKeys(object, info);
}

function writeObject(w: ByteWriter, object: Record<string, unknown>): void {
  w.byte(OPEN_BRACE);
  let first = true;
  for (const key of keysOf(object)) {
    const member = object[key];
    if (member === undefined) continue;
    if (!first) writeSeparator(w, COMMA);
    first = false;
    writeString(w, key);
    writeSeparator(w, COLON);
    writeValue(w, member);
  }
  w.byte(CLOSE_BRACE);
}

/**
 * The value as UTF-8 bytes. Types Python's encoder would refuse (functions, symbols, class
 * instances, Maps, Dates) throw 500 "Could not serialize…".
 */
export function renderJsonBytes(value: unknown): Buffer {
  return withWriter((w) => {
    writeValue(w, value);
    return w.take();
  });
}

/** Like `json.dumps(value, ensure_ascii=False)`. */
export function renderJson(value: unknown): string {
  return withWriter((w) => {
    writeValue(w, value);
    return w.buf.toString('utf8', 0, w.pos);
  });
}

function isContainer(value: unknown): value is unknown[] | Record<string, unknown> {
  return typeof value === 'object' && value !== null && (Array.isArray(value) || isPlainObject(value));
}

/** Whether anything in the value would make JSON rendering throw, checked without recursion. */
function* findUnserializable(value: unknown, sliceNodes: number): Generator<Buffer, boolean> {
  const stack: unknown[] = [value];
  let visited = 0;
  while (stack.length > 0) {
    const node = stack.pop();
    if (++visited % sliceNodes === 0) yield EMPTY;
    switch (typeof node) {
      case 'string':
      case 'number':
      case 'boolean':
      case 'bigint':
      case 'undefined':
        continue;
      case 'object':
        // A packed value holds nothing JSON refuses (src/salt/packedValue.ts).
        if (node === null || node instanceof Uint8Array || node instanceof PyFloat || node instanceof PackedValue) continue;
        if (Array.isArray(node)) {
          for (const item of node) stack.push(item);
          continue;
        }
        if (!isPlainObject(node)) return true;
        for (const key of Object.keys(node)) stack.push(node[key]);
        continue;
      default:
        return true;
    }
  }
  return false;
}

/**
 * The chunked rendering: containers down to {@link STREAM_DEPTH} are written member by member
 * (for an answer, one minion at a time), anything deeper in one go. Before the first chunk leaves,
 * the whole value is checked (in slices, yielding empty chunks) so that nothing can fail once
 * bytes are on the wire.
 */
export function renderJsonChunks(value: unknown, options: ChunkOptions): Generator<Uint8Array, void, undefined> {
  return chunksWithWriter((w) => renderInto(w, value, options));
}

function* renderInto(w: ByteWriter, value: unknown, options: ChunkOptions): Generator<Uint8Array, void, undefined> {
  let checked = false;
  // Called once a chunk's worth is written: the first time, the whole value is checked first.
  function* flush(): Generator<Uint8Array, void, undefined> {
    if (!checked) {
      if (yield* findUnserializable(value, options.sliceNodes)) throw Errors.NotSerializable();
      checked = true;
    }
    yield w.take();
  }
  // Generators only for the containers split by member; everything else is written in one call.
  function* container(node: unknown[] | Record<string, unknown>, depth: number): Generator<Uint8Array, void, undefined> {
    const split = depth + 1 < STREAM_DEPTH;
    if (Array.isArray(node)) {
      w.byte(OPEN_BRACKET);
      for (let i = 0; i < node.length; i++) {
        if (i > 0) writeSeparator(w, COMMA);
        const item = node[i];
        if (split && isContainer(item)) yield* container(item, depth + 1);
        else writeValue(w, item);
        if (w.pos >= options.chunkSize) yield* flush();
      }
      w.byte(CLOSE_BRACKET);
      return;
    }
    w.byte(OPEN_BRACE);
    let first = true;
    for (const key of keysOf(node)) {
      const item = node[key];
      if (item === undefined) continue;
      if (!first) writeSeparator(w, COMMA);
      first = false;
      writeString(w, key);
      writeSeparator(w, COLON);
      if (split && isContainer(item)) yield* container(item, depth + 1);
      else writeValue(w, item);
      if (w.pos >= options.chunkSize) yield* flush();
    }
    w.byte(CLOSE_BRACE);
  }
  if (isContainer(value)) yield* container(value, 0);
  else writeValue(w, value);
  // Rendered to the end without an error: what is left needs no check.
  if (w.pos > 0) yield w.take();
}
