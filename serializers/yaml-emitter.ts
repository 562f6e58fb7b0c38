/**
 * Renders values exactly as salt-api's YAML output: `salt.utils.yaml.safe_dump(data,
 * default_flow_style=False)`, i.e. PyYAML's SafeRepresenter (keys sorted, shared containers
 * written once with `&idNNN` and then `*idNNN`, unknown objects as `NULL`) driving libyaml's
 * emitter (Salt prefers `CSafeDumper`). The emitter below is a port of the parts of libyaml's
 * `emitter.c` this output reaches: block collections, `{}`/`[]` for empty ones, simple and `?`
 * complex keys, and plain, single- and double-quoted scalars folded at 80 columns.
 */

import { pythonNumber } from './python-number.js';
import { PyFloat, dictInfo, orderedKeys, type PyKey } from './python-values.js';
import { bytesToText, isPlainObject } from './value-kinds.js';
import { resolvePlainScalar } from './yaml11.js';

const BEST_INDENT = 2;
const BEST_WIDTH = 80;
/** libyaml writes a key as `? key` once it (in UTF-8 bytes) is longer than this. */
const MAX_SIMPLE_KEY_BYTES = 128;

const SPACE = 0x20;
const LINE_FEED = 0x0a;
const SINGLE_QUOTE = 0x27;

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

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null && (Array.isArray(value) || isPlainObject(value));
}

/** A scalar as SafeRepresenter makes it: its text, and whether plain text reads back as the same type. */
interface Scalar {
  readonly text: string;
  readonly plainImplicit: boolean;
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

function stringScalar(text: string): Scalar {
  return { text, plainImplicit: resolvePlainScalar(text, true) === 'str' };
}

function toScalar(value: unknown): Scalar {
  switch (typeof value) {
    case 'string':
      return stringScalar(value);
    case 'number':
      return { text: numberText(value), plainImplicit: true };
    case 'boolean':
      return { text: value ? 'true' : 'false', plainImplicit: true };
    case 'bigint':
      return { text: numberText(value), plainImplicit: true };
    case 'undefined':
      return { text: 'null', plainImplicit: true };
    default:
      if (value === null) return { text: 'null', plainImplicit: true };
      if (value instanceof Uint8Array) return stringScalar(bytesToText(value));
      if (value instanceof PyFloat) return { text: numberText(value), plainImplicit: true };
      // Salt's `represent_undefined`: objects YAML has no tag for are written as a null.
      return { text: 'NULL', plainImplicit: true };
  }
}

class Emitter {
  private out = '';
  private column = 0;
  private indent = -1;
  private readonly indents: number[] = [];
  private whitespace = true;
  private indention = true;
  private mappingContext = false;
  private simpleKeyContext = false;
  /** Sorted keys of each mapping (members holding `undefined` left out), computed once. */
  private readonly keys = new Map<object, string[]>();
  /** Anchor of every container met more than once; `null` for those met once. */
  private readonly anchors = new Map<object, string | null>();
  private readonly written = new Set<object>();
  private lastAnchor = 0;

  render(value: unknown): string {
    this.findShared(value);
    this.node(value, false, false);
    // Document end: libyaml closes the last line.
    this.writeIndent();
    return this.out;
  }

  private sortedKeys(mapping: Record<string, unknown>): string[] {
    let keys = this.keys.get(mapping);
    if (keys === undefined) {
      const types = dictInfo(mapping)?.types;
      keys = types === undefined ? Object.keys(mapping).sort(compareCodePoints) : sortTypedKeys(mapping, types);
      keys = keys.filter((key) => mapping[key] !== undefined);
      this.keys.set(mapping, keys);
    }
    return keys;
  }

  /** PyYAML's `anchor_node`: number containers in the order their second occurrence is reached. */
  private findShared(value: unknown): void {
    if (!isContainer(value)) return;
    if (this.anchors.has(value)) {
      if (this.anchors.get(value) === null) this.anchors.set(value, `id${String(++this.lastAnchor).padStart(3, '0')}`);
      return;
    }
    this.anchors.set(value, null);
    if (Array.isArray(value)) {
      for (const item of value) this.findShared(item);
    } else {
      for (const key of this.sortedKeys(value)) this.findShared(value[key]);
    }
  }

  private node(value: unknown, mapping: boolean, simpleKey: boolean): void {
    this.mappingContext = mapping;
    this.simpleKeyContext = simpleKey;
    if (!isContainer(value)) {
      this.scalar(toScalar(value));
      return;
    }
    const anchor = this.anchors.get(value) ?? null;
    if (anchor !== null) {
      if (this.written.has(value)) {
        this.writeIndicator('*', true, false, false);
        this.writeAnchor(anchor);
        return;
      }
      this.written.add(value);
      this.writeIndicator('&', true, false, false);
      this.writeAnchor(anchor);
    }
    if (Array.isArray(value)) {
      if (value.length === 0) this.emptyFlow('[', ']');
      else this.blockSequence(value);
    } else {
      const keys = this.sortedKeys(value);
      if (keys.length === 0) this.emptyFlow('{', '}');
      else this.blockMapping(value, keys);
    }
  }

  private emptyFlow(open: string, close: string): void {
    this.writeIndicator(open, true, true, false);
    this.writeIndicator(close, false, false, false);
  }

  private blockSequence(items: readonly unknown[]): void {
    // Under a mapping key the dash stays at the key's column (`key:\n- item`).
    this.increaseIndent(false, this.mappingContext && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.node(item, false, false);
    }
    this.indent = this.indents.pop() ?? -1;
  }

  private blockMapping(mapping: Record<string, unknown>, keys: readonly string[]): void {
    this.increaseIndent(false, false);
    const types = dictInfo(mapping)?.types;
    for (const key of keys) {
      this.writeIndent();
      const typed = types?.get(key);
      const keyNode = typed === undefined ? key : typed;
      if (this.isSimpleKey(key)) {
        this.node(keyNode, true, true);
        this.writeIndicator(':', false, false, false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.node(keyNode, true, false);
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.node(mapping[key], true, false);
    }
    this.indent = this.indents.pop() ?? -1;
  }

  /** libyaml `yaml_emitter_check_simple_key`; multi-line keys always take the `?` form. */
  private isSimpleKey(key: string): boolean {
    for (let i = 0; i < key.length; i++) if (isBreak(key.charCodeAt(i))) return false;
    return Buffer.byteLength(key, 'utf8') <= MAX_SIMPLE_KEY_BYTES;
  }

  /** libyaml `yaml_emitter_select_scalar_style` then `yaml_emitter_process_scalar`. */
  private scalar({ text, plainImplicit }: Scalar): void {
    const analysis = analyze(text);
    let style: 'plain' | 'single' | 'double' = 'plain';
    if (!analysis.plainAllowed || (text.length === 0 && this.simpleKeyContext) || !plainImplicit) style = 'single';
    if (style === 'single' && !analysis.singleQuotedAllowed) style = 'double';
    this.increaseIndent(true, false);
    const allowBreaks = !this.simpleKeyContext;
    if (style === 'plain') this.writePlain(text, allowBreaks);
    else if (style === 'single') this.writeSingleQuoted(text, allowBreaks);
    else this.writeDoubleQuoted(text, allowBreaks);
    this.indent = this.indents.pop() ?? -1;
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  private writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    if (this.column < indent) {
      this.out += ' '.repeat(indent - this.column);
      this.column = indent;
    }
    this.whitespace = true;
    this.indention = true;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) {
      this.out += ' ';
      this.column++;
    }
    this.out += indicator;
    this.column += indicator.length;
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  private writeAnchor(name: string): void {
    this.out += name;
    this.column += name.length;
    this.whitespace = false;
    this.indention = false;
  }

  /**
   * The writers below append text in runs and keep `column` per character. Plain and
   * single-quoted text never holds characters beyond the BMP (they are not printable for
   * libyaml, which forces double quotes), so one UTF-16 unit is one column there.
   */
  private writePlain(text: string, allowBreaks: boolean): void {
    if (!this.whitespace && text.length > 0) {
      this.out += ' ';
      this.column++;
    }
    let spaces = false;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === SPACE) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && text.charCodeAt(i + 1) !== SPACE) {
          this.out += text.slice(start, i);
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
    this.out += text.slice(start);
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
          this.out += text.slice(start, i);
          this.writeIndent();
          start = i + 1;
        } else {
          this.column++;
        }
        spaces = true;
      } else if (isBreak(code)) {
        this.out += text.slice(start, i);
        if (code === LINE_FEED) {
          // A single line break inside quotes reads back as a space, so the first one is doubled.
          if (!breaks) this.putBreak();
          this.putBreak();
        } else {
          this.out += text[i];
          this.column = 0;
        }
        start = i + 1;
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (code === SINGLE_QUOTE) {
          this.out += text.slice(start, i) + "'";
          this.column++;
          start = i;
        }
        this.column++;
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.out += text.slice(start);
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
        this.out += text.slice(start, i) + escape;
        this.column += escape.length;
        start = i + width;
        spaces = false;
      } else if (code === SPACE) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== last) {
          this.out += text.slice(start, i);
          this.writeIndent();
          // A space at the start of the next line would be lost on reading: escape it.
          if (text.charCodeAt(i + 1) === SPACE) {
            this.out += '\\';
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
    this.out += text.slice(start);
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }
}

/** The YAML text salt-api would send for `value`, trailing newline included. */
export function renderYaml(value: unknown): string {
  return new Emitter().render(value);
}
