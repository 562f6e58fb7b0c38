/**
 * Renders values exactly as salt-api's YAML output: `salt.utils.yaml.safe_dump(data,
 * default_flow_style=False)`, i.e. PyYAML's SafeRepresenter (keys sorted, shared containers
 * written once with `&idNNN` and then `*idNNN`, unknown objects as `NULL`) driving libyaml's
 * emitter (Salt prefers `CSafeDumper`). The emitter below is a port of the parts of libyaml's
 * `emitter.c` this output reaches: block collections, `{}`/`[]` for empty ones, simple and `?`
 * complex keys, and plain, single- and double-quoted scalars folded at 80 columns.
 */

import { chunksWithWriter, withWriter, type ByteWriter } from './byte-writer.js';
import { STREAM_DEPTH, type ChunkOptions } from './chunks.js';
import { pythonNumber } from './python-number.js';
import { PyFloat, dictInfo, orderedKeys, type PyKey } from './python-values.js';
import { bytesToText, isPlainObject } from './value-kinds.js';
import { PackedValue } from '../src/salt/packedValue.js';
import { resolvePlainScalar } from './yaml11.js';

const BEST_INDENT = 2;
const BEST_WIDTH = 80;
/** libyaml writes a key as `? key` once it (in UTF-8 bytes) is longer than this. */
const MAX_SIMPLE_KEY_BYTES = 128;

const SPACE = 0x20;
const LINE_FEED = 0x0a;
const SINGLE_QUOTE = 0x27;
const BACKSLASH = 0x5c;

type Container = unknown[] | Record<string, unknown>;

/**
 * libyaml `yaml_emitter_analyze_scalar`, reduced to what block context needs (nothing is ever
 * written in flow context except the empty `{}` and `[]`).
 */
interface Analysis {
  readonly plainAllowed: boolean;
  readonly singleQuotedAllowed: boolean;
}

const EMPTY_ANALYSIS: Analysis = { plainAllowed: true, singleQuotedAllowed: true };

function isBreak(code: number): boolean {
  return code === 0x0a || code === 0x0d || code === 0x85 || code === 0x2028 || code === 0x2029;
}

/** libyaml `IS_BLANKZ`; 0 stands for the end of the text. */
function isBlankOrEnd(code: number): boolean {
  return code === 0 || code === SPACE || code === 0x09 || isBreak(code);
}

/** libyaml `IS_PRINTABLE`: note that characters beyond the BMP are not, so they end up escaped. */
function isPrintable(code: number): boolean {
  return (
    code === LINE_FEED ||
    (code >= 0x20 && code <= 0x7e) ||
    (code >= 0xa0 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd && code !== 0xfeff)
  );
}

function codePointAt(text: string, index: number): number {
  return index < text.length ? (text.codePointAt(index) ?? 0) : 0;
}

const codes = (chars: string): ReadonlySet<number> => new Set(Array.from(chars, (char) => char.charCodeAt(0)));
/** Characters that cannot start a plain scalar. */
const LEADING_INDICATORS = codes('#,[]{}&*!|>\'"%@`');
const COLON = 0x3a;
const QUESTION_MARK = 0x3f;
const DASH = 0x2d;
const HASH = 0x23;

function analyze(text: string): Analysis {
  if (text.length === 0) return EMPTY_ANALYSIS;
  let indicators = text.startsWith('---') || text.startsWith('...');
  let lineBreaks = false;
  let special = false;
  let leadingOrTrailing = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  let precededByWhitespace = true;
  let code = codePointAt(text, 0);
  let width = code > 0xffff ? 2 : 1;
  let followedByWhitespace = isBlankOrEnd(codePointAt(text, width));
  for (let index = 0; index < text.length; ) {
    if (index === 0) {
      if (LEADING_INDICATORS.has(code)) indicators = true;
      if ((code === QUESTION_MARK || code === COLON || code === DASH) && followedByWhitespace) indicators = true;
    } else {
      if (code === COLON && followedByWhitespace) indicators = true;
      if (code === HASH && precededByWhitespace) indicators = true;
    }
    if (!isPrintable(code)) special = true;
    const last = index + width >= text.length;
    if (code === SPACE) {
      if (index === 0 || last) leadingOrTrailing = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(code)) {
      lineBreaks = true;
      if (index === 0 || last) leadingOrTrailing = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankOrEnd(code);
    index += width;
    code = codePointAt(text, index);
    width = code > 0xffff ? 2 : 1;
    followedByWhitespace = isBlankOrEnd(codePointAt(text, index + width));
  }
  const doubleQuotedOnly = spaceBreak || special;
  return {
    plainAllowed: !(leadingOrTrailing || breakSpace || doubleQuotedOnly || lineBreaks || indicators),
    singleQuotedAllowed: !(breakSpace || doubleQuotedOnly),
  };
}

const DOUBLE_QUOTED_ESCAPES = new Map<number, string>([
  [0x00, '0'],
  [0x07, 'a'],
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0b, 'v'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x1b, 'e'],
  [0x22, '"'],
  [0x5c, '\\'],
  [0x85, 'N'],
  [0xa0, '_'],
  [0x2028, 'L'],
  [0x2029, 'P'],
]);

function escapeFor(code: number): string {
  const named = DOUBLE_QUOTED_ESCAPES.get(code);
  if (named !== undefined) return '\\' + named;
  const hex = code.toString(16).toUpperCase();
  if (code <= 0xff) return '\\x' + hex.padStart(2, '0');
  if (code <= 0xffff) return '\\u' + hex.padStart(4, '0');
  return '\\U' + hex.padStart(8, '0');
}

/** Python sorts str keys by code point; JS `<` compares UTF-16 units, which differs past U+FFFF. */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Move surrogates above U+E000–U+FFFF so unit order matches code point order.
    if (x >= 0xd800) x += x >= 0xe000 ? -0x800 : 0x2000;
    if (y >= 0xd800) y += y >= 0xe000 ? -0x800 : 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

/** A typed key as Python compares it: ints, floats and bools are numbers; str and None are not. */
function numericKey(key: PyKey | string): number | bigint | undefined {
  if (typeof key === 'number' || typeof key === 'bigint') return key;
  if (typeof key === 'boolean') return key ? 1 : 0;
  if (key instanceof PyFloat) return key.value;
  return undefined;
}

/**
 * SafeRepresenter's `sorted(mapping.items())` for a dict with non-str keys: numbers (ints, floats,
 * bools) sort by value, str by code point; a dict mixing them (or holding None beside another key)
 * cannot be sorted in Python (TypeError), and PyYAML then keeps the dict's own order.
 */
function sortTypedKeys(mapping: Record<string, unknown>, types: ReadonlyMap<string, PyKey>): string[] {
  const keys = orderedKeys(mapping);
  if (keys.length < 2) return keys;
  const typed = keys.map((key) => {
    const original = types.get(key);
    return { key, numeric: original === undefined ? undefined : numericKey(original), isStr: original === undefined };
  });
  if (typed.every((entry) => entry.isStr)) return keys.sort(compareCodePoints);
  if (typed.every((entry) => entry.numeric !== undefined)) {
    return typed
      .sort((a, b) => {
        const x = a.numeric as number | bigint;
        const y = b.numeric as number | bigint;
        return x < y ? -1 : x > y ? 1 : 0;
      })
      .map((entry) => entry.key);
  }
  return keys;
}

/**
 * Str keys in code point order. The default sort compares UTF-16 units, which is the same order
 * unless a key holds a surrogate (a character beyond U+FFFF): only then is the slower comparison needed.
 */
function sortStrKeys(keys: string[]): string[] {
  for (const key of keys) {
    for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) >= 0xd800) return keys.sort(compareCodePoints);
  }
  return keys.sort();
}

/** Whether a mapping has a member that is written (one not holding `undefined`). */
function hasMembers(mapping: Record<string, unknown>): boolean {
  for (const key in mapping) if (Object.hasOwn(mapping, key) && mapping[key] !== undefined) return true;
  return false;
}

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null && (Array.isArray(value) || isPlainObject(value));
}

/** SafeRepresenter's int and float text (`.nan`, `.inf`, `1.0e-05`, `1.0e+16`). */
function numberText(value: number | bigint | PyFloat): string {
  const number = typeof value === 'object' ? value.value : value;
  if (typeof number === 'number' && !Number.isFinite(number)) {
    if (Number.isNaN(number)) return '.nan';
    return number > 0 ? '.inf' : '-.inf';
  }
  const text = pythonNumber(value);
  // SafeRepresenter: repr() may lack a dot (`1e-05`), which YAML 1.1 would not read as a float.
  return text.includes('e') && !text.includes('.') ? text.replace('e', '.0e') : text;
}

type ScalarStyle = 'plain' | 'single' | 'double';

/**
 * A word `analyze` would find nothing in: letters, digits and `_./-`, not starting with `.` or `-`
 * (so no `---`/`...` start, no indicator, no space, break or special character). Most of Salt's
 * strings are such words; they skip the full analysis.
 */
function isPlainWord(text: string): boolean {
  const length = text.length;
  if (length === 0) return false;
  const first = text.charCodeAt(0);
  if (first === 0x2e || first === 0x2d) return false;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    // 0-9, A-Z, a-z, `_`, `.`, `/`, `-`
    if (!((code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f || (code >= 0x2d && code <= 0x2f))) return false;
  }
  return true;
}

/**
 * libyaml `yaml_emitter_select_scalar_style` for a block-context scalar; `plainImplicit` says
 * whether the text, written plain, reads back as the same type (SafeRepresenter).
 */
function selectStyle(text: string, plainImplicit: boolean, simpleKey: boolean): ScalarStyle {
  if (isPlainWord(text)) return plainImplicit ? 'plain' : 'single';
  const analysis = analyze(text);
  if (analysis.plainAllowed && plainImplicit && !(text.length === 0 && simpleKey)) return 'plain';
  return analysis.singleQuotedAllowed ? 'single' : 'double';
}

/** The style of `text`, from `cache` when it was seen before (keys and short values repeat across minions). */
function cachedStyle(cache: Map<string, ScalarStyle>, text: string, simpleKey: boolean): ScalarStyle {
  let style = cache.get(text);
  if (style === undefined) {
    style = selectStyle(text, resolvePlainScalar(text, true) === 'str', simpleKey);
    if (cache.size >= STYLE_CACHE) cache.clear();
    cache.set(text, style);
  }
  return style;
}

/** Keys and short values repeat from mapping to mapping (every minion's grains): their styles are remembered, this many at most. */
const STYLE_CACHE = 4096;
/** Values up to this length have their style remembered. */
const CACHED_VALUE_LENGTH = 64;
/** Mappings with this many keys have their sorted keys remembered by shape… */
const SHAPE_MIN_KEYS = 8;
/** …for this many shapes at most. */
const SHAPE_CACHE = 256;

/**
 * The emitter's output goes to a {@link ByteWriter}; `render` drives it over the whole value,
 * `chunks` over containers down to {@link STREAM_DEPTH} member by member, handing out what was
 * written every `chunkSize` bytes. Both write exactly the same bytes.
 */
class Emitter {
  private readonly w: ByteWriter;
  private column = 0;
  private indent = -1;
  private readonly indents: number[] = [];
  private whitespace = true;
  private indention = true;
  private mappingContext = false;
  private simpleKeyContext = false;
  /** Sorted keys of each mapping, kept only when containers are shared (they are then walked twice). */
  private keys: Map<object, string[]> | undefined;
  /** Anchor of every container met more than once. */
  private readonly anchors = new Map<object, string>();
  private readonly written = new Set<object>();
  /** The last key list sorted for each first key: mappings of one shape (every minion's grains) are sorted once. */
  private readonly shapes = new Map<string, { readonly keys: string[]; readonly sorted: string[] }>();
  /** Styles of short str values and keys, which repeat from minion to minion. */
  private readonly keyStyles = new Map<string, ScalarStyle>();
  private readonly valueStyles = new Map<string, ScalarStyle>();

  /** `w`: the writer it renders into, the caller's (serializers/byte-writer.ts). */
  constructor(w: ByteWriter) {
    this.w = w;
  }

  render(value: unknown): ByteWriter {
    const walk = this.findShared(value, Infinity);
    while (walk.next().done !== true) continue;
    this.node(value, false, false);
    // Document end: libyaml closes the last line.
    this.writeIndent();
    return this.w;
  }

  *chunks(value: unknown, options: ChunkOptions): Generator<Uint8Array, void, undefined> {
    yield* this.findShared(value, options.sliceNodes);
    yield* this.streamNode(value, 0, false, options.chunkSize);
    this.writeIndent();
    if (this.w.pos > 0) yield this.w.take();
  }

  /** A mapping's keys as SafeRepresenter sorts them, members holding `undefined` left out. */
  private sortedKeys(mapping: Record<string, unknown>): string[] {
    let keys = this.keys?.get(mapping);
    if (keys !== undefined) return keys;
    const types = dictInfo(mapping)?.types;
    keys = types === undefined ? this.sortStrKeys(Object.keys(mapping)) : sortTypedKeys(mapping, types);
    for (const key of keys) {
      if (mapping[key] === undefined) {
        keys = keys.filter((kept) => mapping[kept] !== undefined);
        break;
      }
    }
    this.keys?.set(mapping, keys);
    return keys;
  }

  private sortStrKeys(keys: string[]): string[] {
    if (keys.length < SHAPE_MIN_KEYS) return sortStrKeys(keys);
    const first = keys[0] as string;
    const shape = this.shapes.get(first);
    if (shape !== undefined && shape.keys.length === keys.length && shape.keys.every((key, i) => key === keys[i])) return shape.sorted;
    const sorted = sortStrKeys([...keys]);
    if (this.shapes.size >= SHAPE_CACHE) this.shapes.clear();
    this.shapes.set(first, { keys, sorted });
    return sorted;
  }

  /**
   * PyYAML's `anchor_node` marks every container met more than once. Found with one walk in any
   * order (most answers share nothing); only when something is shared are the anchors numbered
   * in PyYAML's order. Without recursion, yielding an empty chunk every `sliceNodes` containers.
   */
  private *findShared(value: unknown, sliceNodes: number): Generator<Uint8Array, void, undefined> {
    const seen = new WeakSet<object>();
    const shared = new Set<object>();
    const stack: Container[] = [];
    if (isContainer(value)) stack.push(value);
    let visited = 0;
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (seen.has(node)) {
        shared.add(node);
        continue;
      }
      seen.add(node);
      if (Array.isArray(node)) {
        for (const item of node) if (isContainer(item)) stack.push(item);
      } else {
        const keys = Object.keys(node);
        for (let i = 0; i < keys.length; i++) {
          const member = node[keys[i] as string];
          if (isContainer(member)) stack.push(member);
        }
      }
      if (++visited % sliceNodes === 0) yield EMPTY;
    }
    if (shared.size > 0) yield* this.numberShared(value, shared, sliceNodes);
  }

  /** Anchors numbered in the order the second occurrences are reached, depth first, a mapping's members in key order. */
  private *numberShared(value: unknown, shared: ReadonlySet<object>, sliceNodes: number): Generator<Uint8Array, void, undefined> {
    this.keys = new Map();
    const met = new Set<object>();
    const stack: unknown[] = [value];
    let visited = 0;
    while (stack.length > 0) {
      const node = stack.pop();
      if (!isContainer(node)) continue;
      if (shared.has(node)) {
        if (met.has(node)) {
          if (!this.anchors.has(node)) this.anchors.set(node, `id${String(this.anchors.size + 1).padStart(3, '0')}`);
          continue;
        }
        met.add(node);
      }
      if (Array.isArray(node)) {
        for (let i = node.length - 1; i >= 0; i--) stack.push(node[i]);
      } else {
        const keys = this.sortedKeys(node);
        for (let i = keys.length - 1; i >= 0; i--) stack.push(node[keys[i] as string]);
      }
      if (++visited % sliceNodes === 0) yield EMPTY;
    }
  }

  /** An alias (`*id001`, returns false: nothing more to write) or an anchor (`&id001`) before a container. */
  private anchorOrAlias(value: Container): boolean {
    if (this.anchors.size === 0) return true;
    const anchor = this.anchors.get(value);
    if (anchor === undefined) return true;
    if (this.written.has(value)) {
      this.writeIndicator('*', true, false, false);
      this.writeAnchor(anchor);
      return false;
    }
    this.written.add(value);
    this.writeIndicator('&', true, false, false);
    this.writeAnchor(anchor);
    return true;
  }

  private node(packedOrValue: unknown, mapping: boolean, simpleKey: boolean): void {
    // Decoded afresh, a packed return shares no container with the rest: it needs no anchor.
    const value = packedOrValue instanceof PackedValue ? packedOrValue.unpack() : packedOrValue;
    this.mappingContext = mapping;
    this.simpleKeyContext = simpleKey;
    if (typeof value !== 'object' || value === null || !isContainer(value)) {
      this.scalarValue(value);
      return;
    }
    if (!this.anchorOrAlias(value)) return;
    if (Array.isArray(value)) {
      if (value.length === 0) {
        this.emptyFlow('[', ']');
        return;
      }
      this.beginSequence();
      for (const item of value) {
        this.sequenceItem();
        this.node(item, false, false);
      }
    } else {
      const keys = this.sortedKeys(value);
      if (keys.length === 0) {
        this.emptyFlow('{', '}');
        return;
      }
      this.increaseIndent(false, false);
      const types = dictInfo(value)?.types;
      for (const key of keys) {
        this.mappingKey(key, types);
        this.node(value[key], true, false);
      }
    }
    this.indent = this.indents.pop() ?? -1;
  }

  /**
   * `node` for the top of the document: non-empty containers down to STREAM_DEPTH member by
   * member, handing out a chunk whenever one is full. Generators only for those containers.
   */
  private *streamNode(value: unknown, depth: number, mapping: boolean, chunkSize: number): Generator<Uint8Array, void, undefined> {
    if (!this.isSplit(value, depth)) {
      this.node(value, mapping, false);
    } else if (Array.isArray(value)) {
      if (this.streamStart(value, mapping)) {
        this.beginSequence();
        for (const item of value) {
          this.sequenceItem();
          if (this.isSplit(item, depth + 1)) yield* this.streamNode(item, depth + 1, false, chunkSize);
          else this.node(item, false, false);
          if (this.w.pos >= chunkSize) yield this.w.take();
        }
        this.indent = this.indents.pop() ?? -1;
      }
    } else if (this.streamStart(value, mapping)) {
      this.increaseIndent(false, false);
      const types = dictInfo(value)?.types;
      for (const key of this.sortedKeys(value)) {
        this.mappingKey(key, types);
        const member = value[key];
        if (this.isSplit(member, depth + 1)) yield* this.streamNode(member, depth + 1, true, chunkSize);
        else this.node(member, true, false);
        if (this.w.pos >= chunkSize) yield this.w.take();
      }
      this.indent = this.indents.pop() ?? -1;
    }
    if (this.w.pos >= chunkSize) yield this.w.take();
  }

  /**
   * Whether `value` is written member by member: a container above STREAM_DEPTH with members
   * (an empty one is written `[]` or `{}` by `node`).
   */
  private isSplit(value: unknown, depth: number): value is Container {
    if (depth >= STREAM_DEPTH || !isContainer(value)) return false;
    return Array.isArray(value) ? value.length > 0 : hasMembers(value);
  }

  /** What `node` does before a container's members; false when it was an alias (nothing more to write). */
  private streamStart(value: Container, mapping: boolean): boolean {
    this.mappingContext = mapping;
    this.simpleKeyContext = false;
    return this.anchorOrAlias(value);
  }

  private emptyFlow(open: string, close: string): void {
    this.writeIndicator(open, true, true, false);
    this.writeIndicator(close, false, false, false);
  }

  private beginSequence(): void {
    // Under a mapping key the dash stays at the key's column (`key:\n- item`).
    this.increaseIndent(false, this.mappingContext && !this.indention);
  }

  private sequenceItem(): void {
    this.writeIndent();
    this.writeIndicator('-', true, false, true);
  }

  /** A mapping key and its `:`, simple or in the `?` form. */
  private mappingKey(key: string, types: ReadonlyMap<string, PyKey> | undefined): void {
    this.writeIndent();
    const typed = types?.get(key);
    if (this.isSimpleKey(key)) {
      if (typed === undefined) this.keyScalar(key);
      else this.node(typed, true, true);
      this.writeIndicator(':', false, false, false);
    } else {
      this.writeIndicator('?', true, false, true);
      this.node(typed === undefined ? key : typed, true, false);
      this.writeIndent();
      this.writeIndicator(':', true, false, true);
    }
  }

  /** libyaml `yaml_emitter_check_simple_key`; multi-line keys always take the `?` form. */
  private isSimpleKey(key: string): boolean {
    for (let i = 0; i < key.length; i++) if (isBreak(key.charCodeAt(i))) return false;
    // A UTF-16 unit is at most 3 bytes of UTF-8: short keys need no byte count.
    return key.length * 3 <= MAX_SIMPLE_KEY_BYTES || Buffer.byteLength(key, 'utf8') <= MAX_SIMPLE_KEY_BYTES;
  }

  /** A str key in simple-key context, its style remembered. */
  private keyScalar(key: string): void {
    this.mappingContext = true;
    this.simpleKeyContext = true;
    this.scalar(key, cachedStyle(this.keyStyles, key, true));
  }

  /** A scalar as SafeRepresenter makes it: its text, and whether plain text reads back as the same type. */
  private scalarValue(value: unknown): void {
    switch (typeof value) {
      case 'string':
        this.stringScalar(value);
        return;
      case 'number':
      case 'bigint':
        this.typedScalar(numberText(value));
        return;
      case 'boolean':
        this.typedScalar(value ? 'true' : 'false');
        return;
      case 'undefined':
        this.typedScalar('null');
        return;
      default:
        if (value === null) this.typedScalar('null');
        else if (value instanceof Uint8Array) this.stringScalar(bytesToText(value));
        else if (value instanceof PyFloat) this.typedScalar(numberText(value));
        // Salt's `represent_undefined`: objects YAML has no tag for are written as a null.
        else this.typedScalar('NULL');
    }
  }

  private stringScalar(text: string): void {
    if (this.simpleKeyContext || text.length > CACHED_VALUE_LENGTH) {
      this.scalar(text, selectStyle(text, resolvePlainScalar(text, true) === 'str', this.simpleKeyContext));
      return;
    }
    this.scalar(text, cachedStyle(this.valueStyles, text, false));
  }

  private typedScalar(text: string): void {
    this.scalar(text, selectStyle(text, true, this.simpleKeyContext));
  }

  /** libyaml `yaml_emitter_process_scalar`. */
  private scalar(text: string, style: ScalarStyle): void {
    // libyaml's increase_indent(flow) for the scalar's own lines, undone after.
    const outer = this.indent;
    this.indent = outer < 0 ? BEST_INDENT : outer + BEST_INDENT;
    const allowBreaks = !this.simpleKeyContext;
    if (style === 'plain') this.writePlain(text, allowBreaks);
    else if (style === 'single') this.writeSingleQuoted(text, allowBreaks);
    else this.writeDoubleQuoted(text, allowBreaks);
    this.indent = outer;
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  private putBreak(): void {
    this.w.byte(LINE_FEED);
    this.column = 0;
  }

  private writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    if (this.column < indent) {
      this.w.spaces(indent - this.column);
      this.column = indent;
    }
    this.whitespace = true;
    this.indention = true;
  }

  /** Indicators are one ASCII character each. */
  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) {
      this.w.byte(SPACE);
      this.column++;
    }
    this.w.byte(indicator.charCodeAt(0));
    this.column++;
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  private writeAnchor(name: string): void {
    this.w.ascii(name);
    this.column += name.length;
    this.whitespace = false;
    this.indention = false;
  }

  /**
   * The writers below write text in runs and keep `column` per character. Plain and
   * single-quoted text never holds characters beyond the BMP (they are not printable for
   * libyaml, which forces double quotes), so one UTF-16 unit is one column there.
   */
  private writePlain(text: string, allowBreaks: boolean): void {
    if (!this.whitespace && text.length > 0) {
      this.w.byte(SPACE);
      this.column++;
    }
    // No break is possible before the column passes the width: the common case is one run.
    if (!allowBreaks || this.column + text.length <= BEST_WIDTH + 1 || !text.includes(' ')) {
      this.w.text(text);
      this.column += text.length;
    } else {
      let spaces = false;
      let start = 0;
      for (let i = 0; i < text.length; i++) {
        if (text.charCodeAt(i) === SPACE) {
          if (!spaces && this.column > BEST_WIDTH && text.charCodeAt(i + 1) !== SPACE) {
            this.w.textRange(text, start, i);
            this.writeIndent();
            start = i + 1;
          } else {
            this.column++;
          }
          spaces = true;
        } else {
          this.column++;
          spaces = false;
        }
      }
      this.w.textRange(text, start, text.length);
    }
    this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(text: string, allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    let spaces = false;
    let breaks = false;
    let start = 0;
    const last = text.length - 1;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === SPACE) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== last && text.charCodeAt(i + 1) !== SPACE) {
          this.w.textRange(text, start, i);
          this.writeIndent();
          start = i + 1;
        } else {
          this.column++;
        }
        spaces = true;
      } else if (isBreak(code)) {
        this.w.textRange(text, start, i);
        if (code === LINE_FEED) {
          // A single line break inside quotes reads back as a space, so the first one is doubled.
          if (!breaks) this.putBreak();
          this.putBreak();
        } else {
          this.w.textRange(text, i, i + 1);
          this.column = 0;
        }
        start = i + 1;
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (code === SINGLE_QUOTE) {
          this.w.textRange(text, start, i);
          this.w.byte(SINGLE_QUOTE);
          this.column++;
          start = i;
        }
        this.column++;
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.w.textRange(text, start, text.length);
    if (breaks) this.writeIndent();
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(text: string, allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    let spaces = false;
    let start = 0;
    const last = text.length - 1;
    for (let i = 0; i < text.length; i++) {
      const code = text.codePointAt(i) ?? 0;
      const width = code > 0xffff ? 2 : 1;
      if (!isPrintable(code) || isBreak(code) || code === 0x22 || code === 0x5c) {
        const escape = escapeFor(code);
        this.w.textRange(text, start, i);
        this.w.ascii(escape);
        this.column += escape.length;
        start = i + width;
        spaces = false;
      } else if (code === SPACE) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== last) {
          this.w.textRange(text, start, i);
          this.writeIndent();
          // A space at the start of the next line would be lost on reading: escape it.
          if (text.charCodeAt(i + 1) === SPACE) {
            this.w.byte(BACKSLASH);
            this.column++;
          }
          start = i + 1;
        } else {
          this.column++;
        }
        spaces = true;
      } else {
        this.column++;
        spaces = false;
      }
      i += width - 1;
    }
    this.w.textRange(text, start, text.length);
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }
}

/** Yielded while looking for shared containers: no bytes yet, a turn for the event loop. */
const EMPTY = Buffer.alloc(0);

/** The YAML salt-api would send for `value`, trailing newline included, as UTF-8 bytes. */
export function renderYamlBytes(value: unknown): Buffer {
  return withWriter((w) => new Emitter(w).render(value).take());
}

/** The YAML text salt-api would send for `value`, trailing newline included. */
export function renderYaml(value: unknown): string {
  return withWriter((w) => {
    new Emitter(w).render(value);
    return w.buf.toString('utf8', 0, w.pos);
  });
}

/** The same bytes as {@link renderYamlBytes}, in chunks (serializers/chunks.ts). */
export function renderYamlChunks(value: unknown, options: ChunkOptions): Generator<Uint8Array, void, undefined> {
  return chunksWithWriter((w) => new Emitter(w).chunks(value, options));
}
