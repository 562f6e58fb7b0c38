/**
 * Python's `repr` and `str` of decoded data: salt-api sorts non-string perms by repr and puts
 * values into its messages with str. Exactly CPython's: strings pick their quote as Python does
 * and escape what `str.isprintable()` refuses (`\t`, `\n`, `\r`, `\xNN`, `\uNNNN`, `\UNNNNNNNN`),
 * floats are written by Python's `float.__repr__` (`1e-05`, `1.0`, `inf`), and dicts keep their
 * order and their non-str keys (python-values.ts). Printability follows the Unicode tables of
 * this Node.js, which may be newer than those of the Python that runs Salt: a character assigned
 * since is printed as it is where that Python would escape it.
 */
import { pythonNumber } from '../../serializers/python-number.js';
import { PyFloat, keyTypeOf, orderedKeys, type PyKey } from '../../serializers/python-values.js';
import { PackedValue } from './packedValue.js';
import type { SaltValue } from './types.js';

/** Characters `str.isprintable()` refuses: categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs but the space. */
const NOT_PRINTABLE = /[\p{C}\p{Z}]/u;
/** Whether a string needs any escaping at all (the common case is a plain ASCII word). */
const NEEDS_ESCAPE = /[^\x20-\x26\x28-\x5b\x5d-\x7e]/;

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

/** CPython's `unicode_repr`. */
function stringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  if (!NEEDS_ESCAPE.test(text)) return quote + text + quote;
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (char === quote || char === '\\') out += '\\' + char;
    else if (char === '\t') out += '\\t';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += '\\x' + hex(code, 2);
    else if (code < 0x7f || !NOT_PRINTABLE.test(char)) out += char;
    else if (code <= 0xff) out += '\\x' + hex(code, 2);
    else if (code <= 0xffff) out += '\\u' + hex(code, 4);
    else out += '\\U' + hex(code, 8);
  }
  return out + quote;
}

/** CPython's `bytes.__repr__`. */
function bytesRepr(bytes: Uint8Array): string {
  const quote = bytes.includes(0x27) && !bytes.includes(0x22) ? '"' : "'";
  let out = 'b' + quote;
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    if (char === quote || char === '\\') out += '\\' + char;
    else if (char === '\t') out += '\\t';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (byte < 0x20 || byte >= 0x7f) out += '\\x' + hex(byte, 2);
    else out += char;
  }
  return out + quote;
}

function keyRepr(key: string, original: PyKey | undefined): string {
  return original === undefined ? stringRepr(key) : pythonRepr(original);
}

export function pythonRepr(value: SaltValue): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number' || typeof value === 'bigint' || value instanceof PyFloat) return pythonNumber(value);
  if (typeof value === 'string') return stringRepr(value);
  if (value instanceof Uint8Array) return bytesRepr(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (value instanceof PackedValue) return pythonRepr(value.unpack());
  return `{${orderedKeys(value)
    .filter((key) => value[key] !== undefined)
    .map((key) => `${keyRepr(key, keyTypeOf(value, key))}: ${pythonRepr(value[key] as SaltValue)}`)
    .join(', ')}}`;
}

/**
 * Python's `str`, as Salt's messages format a value: a string as it is, anything else as its repr
 * (`None` for a missing value). Never JavaScript's String(): a hostile body can hold a mapping
 * whose `toString` key is no function, on which String() throws.
 */
export function pythonStr(value: SaltValue | undefined): string {
  if (typeof value === 'string') return value;
  return pythonRepr(value ?? null);
}
