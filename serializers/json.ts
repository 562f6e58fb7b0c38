/**
 * `application/json`: parsing with a nesting cap, and rendering byte-compatible with Python's
 * `json.dumps(obj, ensure_ascii=False)` as salt-api sends it (json-render.ts), whole or in chunks.
 *
 * Parsing keeps what `json.loads` keeps and `JSON.parse` loses (python-values.ts): the order of
 * integer-like keys and the exact value of integers beyond 2^53 (as bigints).
 */

import { Errors } from '../src/errors.js';
import { renderJsonBytes, renderJsonChunks } from './json-render.js';
import { attachKeyOrder, readMember } from './python-values.js';
import type { ParseOptions, Serializer } from './types.js';

export { renderJson } from './json-render.js';

const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;

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

/**
 * Whether JSON.parse could get the document wrong: a member name that may be integer-like (a
 * string starting with a digit, or with an escaped one, followed by `:`) or a run of 16 digits
 * (an integer that may exceed 2^53). A superset of the real cases, kept cheap: one regular
 * expression pass, no match for the usual lowstate or login body.
 */
const NEEDS_EXACT_PARSE = /"(?:[0-9]|\\u003[0-9])[^"]*"[\t\n\r ]*:|[0-9]{16}/;

/** Parse a JSON document: 400 when it nests deeper than `maxDepth`, 400 "Invalid JSON document" when malformed. */
export function parseJson(text: string, options: ParseOptions): unknown {
  if (nestsDeeperThan(text, options.maxDepth)) {
    throw Errors.BadRequest(`JSON document nests deeper than ${options.maxDepth} levels`);
  }
  try {
    return NEEDS_EXACT_PARSE.test(text) ? new ExactJsonParser(text).document() : JSON.parse(text);
  } catch {
    throw Errors.InvalidJson();
  }
}

class JsonSyntaxError extends Error {}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const SIMPLE_ESCAPES = new Map<number, string>([
  [0x22, '"'],
  [0x5c, '\\'],
  [0x2f, '/'],
  [0x62, '\b'],
  [0x66, '\f'],
  [0x6e, '\n'],
  [0x72, '\r'],
  [0x74, '\t'],
]);
const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
const INT_LIMIT = 2n ** 53n;

/**
 * A strict JSON parser (exactly what JSON.parse accepts) for the documents JSON.parse would get
 * wrong: objects keep their members' order (python-values.ts) and integers beyond 2^53 stay exact.
 * Nesting was bounded before it runs.
 */
class ExactJsonParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  document(): unknown {
    const value = this.value();
    this.skipWhitespace();
    if (this.pos !== this.text.length) throw new JsonSyntaxError();
    return value;
  }

  private skipWhitespace(): void {
    while (WHITESPACE.has(this.text.charCodeAt(this.pos))) this.pos++;
  }

  private value(): unknown {
    this.skipWhitespace();
    const code = this.text.charCodeAt(this.pos);
    if (code === OPEN_BRACE) return this.object();
    if (code === OPEN_BRACKET) return this.array();
    if (code === QUOTE) return this.string();
    if (this.text.startsWith('true', this.pos)) return this.literal(4, true);
    if (this.text.startsWith('false', this.pos)) return this.literal(5, false);
    if (this.text.startsWith('null', this.pos)) return this.literal(4, null);
    return this.number();
  }

  private literal<T>(length: number, value: T): T {
    this.pos += length;
    return value;
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (match === null) throw new JsonSyntaxError();
    this.pos = NUMBER.lastIndex;
    const literal = match[0];
    if (match[1] !== undefined || match[2] !== undefined || literal.length < 16) return Number(literal);
    const exact = BigInt(literal);
    return exact > INT_LIMIT || exact < -INT_LIMIT ? exact : Number(exact);
  }

  private string(): string {
    const text = this.text;
    let out = '';
    let start = ++this.pos;
    for (;;) {
      const code = text.charCodeAt(this.pos);
      if (Number.isNaN(code) || code < 0x20) throw new JsonSyntaxError();
      if (code === QUOTE) {
        out += text.slice(start, this.pos++);
        return out;
      }
      if (code !== BACKSLASH) {
        this.pos++;
        continue;
      }
      out += text.slice(start, this.pos);
      const escape = text.charCodeAt(this.pos + 1);
      const simple = SIMPLE_ESCAPES.get(escape);
      if (simple !== undefined) {
        out += simple;
        this.pos += 2;
      } else if (escape === 0x75 && /^[0-9a-fA-F]{4}$/.test(text.slice(this.pos + 2, this.pos + 6))) {
        out += String.fromCharCode(Number.parseInt(text.slice(this.pos + 2, this.pos + 6), 16));
        this.pos += 6;
      } else {
        throw new JsonSyntaxError();
      }
      start = this.pos;
    }
  }

  private array(): unknown[] {
    this.pos++;
    const items: unknown[] = [];
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === CLOSE_BRACKET) {
      this.pos++;
      return items;
    }
    for (;;) {
      items.push(this.value());
      this.skipWhitespace();
      const code = this.text.charCodeAt(this.pos++);
      if (code === CLOSE_BRACKET) return items;
      if (code !== COMMA) throw new JsonSyntaxError();
    }
  }

  private object(): Record<string, unknown> {
    this.pos++;
    const object: Record<string, unknown> = {};
    let order: string[] | undefined;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === CLOSE_BRACE) {
      this.pos++;
      return object;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== QUOTE) throw new JsonSyntaxError();
      const key = this.string();
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos++) !== COLON) throw new JsonSyntaxError();
      const value = this.value();
      order = readMember(object, order, key, value);
      this.skipWhitespace();
      const code = this.text.charCodeAt(this.pos++);
      if (code === CLOSE_BRACE) break;
      if (code !== COMMA) throw new JsonSyntaxError();
    }
    if (order !== undefined) attachKeyOrder(object, order);
    return object;
  }
}

export const jsonSerializer: Serializer = {
  name: 'json',
  mediaTypes: ['application/json'],
  contentType: 'application/json',
  parse: parseJson,
  render: renderJsonBytes,
  renderChunks: renderJsonChunks,
  rendersPacked: true,
};
