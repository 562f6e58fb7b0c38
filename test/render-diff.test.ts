/**
 * The byte-for-byte claim, checked: thousands of generated documents are rendered by our JSON and
 * YAML renderers and by Debian's python3 exactly as salt-api renders them, and the bytes compared.
 *
 * - JSON: `salt.utils.json.dumps(obj)` = `json.dumps(obj, ensure_ascii=False)`.
 * - YAML: `salt.utils.yaml.safe_dump(obj, default_flow_style=False)` = `yaml.dump(obj,
 *   Dumper=SafeOrderedDumper, default_flow_style=False, allow_unicode=True)`, where
 *   SafeOrderedDumper is a `yaml.CSafeDumper` (libyaml) with Salt's `NULL` for unknown objects.
 * - `repr()`, which salt-api uses in messages and to sort permissions (src/salt/pythonRepr.ts).
 *
 * Each document is a Python value. Our side gets it the way salt-api-koa gets a master's answer:
 * packed as the master packs it (msgpack, `use_bin_type=True`, by a small packer of this file),
 * decoded by our codec, rendered. python3 gets it as a tagged description (floats as their 64
 * bits), builds the value and renders it; one python3 process per batch of documents.
 *
 * The generated documents are built to hold the hard cases: unicode, astral and control
 * characters, floats (tiny, huge, -0.0, integer-valued, nan, inf), ints beyond 2^53 and 2^63,
 * integer-like and non-str keys, nested empty containers, and strings YAML has to quote.
 */
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import fc from 'fast-check';
import { renderJson } from '../serializers/json.js';
import { pythonJsonNumber } from '../serializers/python-number.js';
import { PyFloat } from '../serializers/python-values.js';
import { renderYaml } from '../serializers/yaml-emitter.js';
import { unpack } from '../src/salt/codec.js';
import { pythonRepr } from '../src/salt/pythonRepr.js';
import { seeded } from './support/fuzz.js';

const PYTHON = '/usr/bin/python3';

/** A Python value, as this test describes it to both sides. */
type Py =
  | { t: 'none' }
  | { t: 'bool'; v: boolean }
  | { t: 'int'; v: bigint }
  | { t: 'float'; v: number }
  | { t: 'str'; v: string }
  | { t: 'list'; v: Py[] }
  | { t: 'dict'; v: Array<[PyKey, Py]> };
type PyKey = Extract<Py, { t: 'none' | 'bool' | 'int' | 'float' | 'str' }>;

// ---------------------------------------------------------------------------------------------
// The master's packer: msgpack.packb(obj, use_bin_type=True), written from the msgpack spec.

/** msgpack's smallest int format for `n` outside the fixint ranges: [type byte, byte count]. */
function intFormat(n: bigint): [number, number] {
  if (n >= 0n) return n < 0x100n ? [0xcc, 1] : n < 0x10000n ? [0xcd, 2] : n < 0x100000000n ? [0xce, 4] : [0xcf, 8];
  return n >= -0x80n ? [0xd0, 1] : n >= -0x8000n ? [0xd1, 2] : n >= -0x80000000n ? [0xd2, 4] : [0xd3, 8];
}

function packPy(value: Py, out: number[]): void {
  const bytes = (n: number, width: number) => {
    for (let i = width - 1; i >= 0; i--) out.push(Number((BigInt(n) >> BigInt(8 * i)) & 0xffn));
  };
  const big = (n: bigint, width: number) => {
    const unsigned = n < 0n ? n + (1n << BigInt(8 * width)) : n;
    for (let i = width - 1; i >= 0; i--) out.push(Number((unsigned >> BigInt(8 * i)) & 0xffn));
  };
  switch (value.t) {
    case 'none':
      out.push(0xc0);
      return;
    case 'bool':
      out.push(value.v ? 0xc3 : 0xc2);
      return;
    case 'int': {
      const n = value.v;
      if (n >= 0n && n < 0x80n) out.push(Number(n));
      else if (n < 0n && n >= -32n) out.push(Number(n + 0x100n));
      else {
        const [type, size] = intFormat(n);
        out.push(type);
        big(n, size);
      }
      return;
    }
    case 'float': {
      const buffer = Buffer.alloc(8);
      buffer.writeDoubleBE(value.v);
      out.push(0xcb, ...buffer);
      return;
    }
    case 'str': {
      const utf8 = Buffer.from(value.v, 'utf8');
      const n = utf8.length;
      if (n < 32) out.push(0xa0 | n);
      else if (n < 0x100) out.push(0xd9, n);
      else if (n < 0x10000) {
          out.push(0xda);
          bytes(n, 2);
        } else {
          out.push(0xdb);
          bytes(n, 4);
        }
      out.push(...utf8);
      return;
    }
    case 'list':
      if (value.v.length < 16) out.push(0x90 | value.v.length);
      else {
          out.push(0xdc);
          bytes(value.v.length, 2);
        }
      for (const item of value.v) packPy(item, out);
      return;
    case 'dict':
      if (value.v.length < 16) out.push(0x80 | value.v.length);
      else {
          out.push(0xde);
          bytes(value.v.length, 2);
        }
      for (const [key, item] of value.v) {
        packPy(key, out);
        packPy(item, out);
      }
      return;
  }
}

/** The document as our API holds it: decoded from the master's bytes. */
function asDecoded(value: Py): unknown {
  const out: number[] = [];
  packPy(value, out);
  return unpack(Buffer.from(out));
}

/** The tagged description python3 builds the value from. */
function tagged(value: Py): unknown {
  switch (value.t) {
    case 'none':
      return ['n'];
    case 'bool':
      return ['b', value.v];
    case 'int':
      return ['i', value.v.toString()];
    case 'float': {
      const buffer = Buffer.alloc(8);
      buffer.writeDoubleBE(value.v);
      return ['f', buffer.toString('hex')];
    }
    case 'str':
      return ['s', value.v];
    case 'list':
      return ['l', value.v.map(tagged)];
    case 'dict':
      return ['d', value.v.map(([k, v]) => [tagged(k), tagged(v)])];
  }
}

// ---------------------------------------------------------------------------------------------
// python3: the same documents rendered by the real thing.

const RENDER_SCRIPT = String.raw`
import json, struct, sys, yaml

class SafeOrderedDumper(yaml.CSafeDumper):
    """salt.utils.yamldumper.SafeOrderedDumper"""

def represent_undefined(dumper, data):
    return dumper.represent_scalar("tag:yaml.org,2002:null", "NULL")

SafeOrderedDumper.add_representer(None, represent_undefined)

def build(node):
    tag = node[0]
    if tag == "n": return None
    if tag == "b": return node[1]
    if tag == "i": return int(node[1])
    if tag == "f": return struct.unpack(">d", bytes.fromhex(node[1]))[0]
    if tag == "s": return node[1]
    if tag == "l": return [build(item) for item in node[1]]
    if tag == "d": return {build(key): build(value) for key, value in node[1]}
    raise ValueError(tag)

out = sys.stdout.buffer
for line in sys.stdin:
    doc = build(json.loads(line))
    texts = (
        json.dumps(doc, ensure_ascii=False),
        yaml.dump(doc, Dumper=SafeOrderedDumper, default_flow_style=False, allow_unicode=True),
        repr(doc),
    )
    for text in texts:
        data = text.encode("utf-8", "surrogatepass")
        out.write(struct.pack(">I", len(data)))
        out.write(data)
`;

interface Rendered {
  json: Buffer;
  yaml: Buffer;
  repr: Buffer;
}

function pythonRender(docs: readonly Py[]): Rendered[] {
  const input = docs.map((doc) => JSON.stringify(tagged(doc))).join('\n') + '\n';
  const run = spawnSync(PYTHON, ['-c', RENDER_SCRIPT], { input, maxBuffer: 1 << 30 });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr.toString()}`);
  const chunks: Buffer[] = [];
  for (let pos = 0; pos < run.stdout.length; ) {
    const length = run.stdout.readUInt32BE(pos);
    chunks.push(run.stdout.subarray(pos + 4, pos + 4 + length));
    pos += 4 + length;
  }
  expect(chunks.length).to.equal(docs.length * 3);
  return docs.map((_, i) => ({ json: chunks[3 * i]!, yaml: chunks[3 * i + 1]!, repr: chunks[3 * i + 2]! }));
}

/**
 * Code points whose `str.isprintable()` differs between this Node.js and python3: characters
 * assigned in a newer Unicode than python3's. repr() cannot agree on those, so the repr
 * comparison leaves documents holding them out (JSON and YAML do not depend on Unicode tables).
 */
function unicodeVersionGaps(): Set<number> {
  const script = 'import sys\nsys.stdout.buffer.write(bytes(1 if chr(c).isprintable() else 0 for c in range(0x110000)))';
  const run = spawnSync(PYTHON, ['-c', script], { maxBuffer: 1 << 22 });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr.toString()}`);
  const notPrintable = /[\p{C}\p{Z}]/u;
  const gaps = new Set<number>();
  for (let code = 0; code < 0x110000; code++) {
    const ours = code === 0x20 || !notPrintable.test(String.fromCodePoint(code));
    if (ours !== (run.stdout[code] === 1)) gaps.add(code);
  }
  return gaps;
}

// ---------------------------------------------------------------------------------------------
// Generated documents.

/** Strings YAML must quote or escape, or that sit on a boundary of its rules. */
const YAML_HARD = [
  '', ' ', '  ', 'yes', 'Yes', 'NO', 'on', 'Off', 'y', 'n', 'true', 'False', 'null', 'Null', '~', 'NULL',
  '1', '1.0', '-1', '+1', '0x1f', '0o17', '017', '09', '1_000', '1:30', '1:30.5', '1e3', '1.0e+3', '.5', '.inf', '-.Inf', '.NaN',
  '2024-01-01', '2024-1-1 10:00:00', '2001-12-14t21:59:43.10-05:00', '<<', '=', '!', '&', '*', '|', '>', "'", '"', '%', '@', '`',
  '#', '# comment', 'a #b', 'a#b', ': ', 'a: b', 'a:b', ':', '-', '- ', '-a', '? ', '?', '?a', '---', '...', '--- x', '[', ']', '{', '}', ',',
  ' lead', 'trail ', ' both ', 'multi\nline', 'trailing newline\n', '\nleading newline', 'two\n\nbreaks', 'tab\there', 'cr\rhere',
  'crlf\r\n', 'nul\0', 'bell\u0007', 'esc\u001b', 'del\u007f', 'nel\u0085', 'nbsp\u00a0', 'ls\u2028', 'ps\u2029', 'bom\ufeff',
  '\ufffd', '\ufffe', '\uffff', '😀', 'a😀b', '\u{10ffff}', '\u{e0041}', 'Grüße', 'ＡＢＣ', '日本語', "it's", 'say "hi"', "both ' and \"",
  'back\\slash', 'minion-1', 'salt/job/20261127161916504799/ret/minion-1', '20261127161916504799', '@jobs', '.*',
  'x'.repeat(129), 'é'.repeat(65), 'word '.repeat(30).trim(), ' spaced  out  text '.repeat(8), `${'long-token-'.repeat(10)} tail`,
];

const CHARS = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...'abcxyzABC019 -_.:#,[]{}&*!|>\'"%@`?=~<'.split('')) },
  { weight: 2, arbitrary: fc.constantFrom('\n', '\t', '\r', '\0', '\u0001', '\u001f', '\u007f', '\u0085', '\u00a0', '\u2028', '\u2029', '\ufeff') },
  { weight: 2, arbitrary: fc.constantFrom('é', 'ß', 'Ω', 'ж', '日', '\u200b', '\u0301', '\ue000', '\ufffd', '\uffff', '😀', '\u{1d11e}', '\u{10ffff}') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
);

const text = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...YAML_HARD) },
  { weight: 4, arbitrary: fc.array(CHARS, { maxLength: 12 }).map((chars) => chars.join('')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...YAML_HARD), fc.array(CHARS, { maxLength: 6 })).map(([hard, chars]) => hard + chars.join('')) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('word', 'a', 'longer-word', ' ', '  ', '\n', 'é', '😀'), { maxLength: 80 }).map((parts) => parts.join(' ')) },
  { weight: 1, arbitrary: fc.tuple(fc.array(CHARS, { minLength: 1, maxLength: 4 }), fc.integer({ min: 20, max: 120 })).map(([chars, n]) => chars.join('').repeat(n)) },
);

const FLOAT_HARD = [
  0, -0, 1, -1, 0.1, 0.5, 1.5, 100, 1e15, 1e16, 1e17, 1e21, 1e22, 1e100, 1e300, 1.7976931348623157e308, 1e-4, 1e-5, 9.999999999999999e-5,
  5e-324, 2.2250738585072014e-308, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, 123456789012345680000, 0.30000000000000004, 1795839552.5100288,
  NaN, Infinity, -Infinity,
];

const int = fc.oneof(
  fc.integer({ min: -300, max: 300 }).map(BigInt),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  fc.constantFrom(2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, -(2n ** 63n), 12345678901234567890n, 0n),
);
const float = fc.oneof(fc.constantFrom(...FLOAT_HARD), fc.double(), fc.integer({ min: -1_000_000, max: 1_000_000 }).map((n) => n + 0), fc.double({ min: -1e-3, max: 1e-3 }));

const scalar: fc.Arbitrary<PyKey> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ t: 'none' as const }) },
  { weight: 1, arbitrary: fc.boolean().map((v) => ({ t: 'bool' as const, v })) },
  { weight: 3, arbitrary: int.map((v) => ({ t: 'int' as const, v })) },
  { weight: 3, arbitrary: float.map((v) => ({ t: 'float' as const, v })) },
  { weight: 6, arbitrary: text.map((v) => ({ t: 'str' as const, v })) },
);

/** Keys: mostly str (integer-like ones included), sometimes int, rarely float, bool or None. */
const key: fc.Arbitrary<PyKey> = fc.oneof(
  { weight: 6, arbitrary: text.map((v) => ({ t: 'str' as const, v })) },
  { weight: 3, arbitrary: fc.oneof(fc.nat({ max: 30 }), fc.constantFrom(4294967294, 4294967295, 10 ** 10)).map((n) => ({ t: 'str' as const, v: String(n) })) },
  { weight: 2, arbitrary: int.map((v) => ({ t: 'int' as const, v })) },
  { weight: 1, arbitrary: fc.oneof(scalar, fc.constantFrom(1.5, 0.25, -2.0).map((v) => ({ t: 'float' as const, v }))) },
);

/** How Python tells dict keys apart (1 == 1.0 == True) and the JSON text that names them here. */
function keyIdentity(k: PyKey): { python: string; js: string } {
  switch (k.t) {
    case 'none':
      return { python: 'None', js: 'null' };
    case 'bool':
      return { python: `n:${k.v ? 1 : 0}`, js: String(k.v) };
    case 'int':
      return { python: `n:${k.v}`, js: k.v.toString() };
    case 'float':
      // NaN keys are all different in Python; their JSON text ('NaN') is not.
      return { python: Number.isInteger(k.v) ? `n:${BigInt(k.v)}` : `f:${k.v}`, js: '' };
    case 'str':
      return { python: `s:${k.v}`, js: k.v };
  }
}

/**
 * A dict's entries, without keys Python would merge (1, 1.0, True) and without keys whose JSON
 * text collides (str '1' beside int 1: one JS property cannot hold both; a known limit).
 */
function uniqueEntries(entries: Array<[PyKey, Py]>): Array<[PyKey, Py]> {
  const python = new Set<string>();
  const js = new Set<string>();
  const jsText = (k: PyKey) => (k.t === 'float' ? pythonJsonNumber(Number.isInteger(k.v) ? new PyFloat(k.v) : k.v) : keyIdentity(k).js);
  return entries.filter(([k]) => {
    const id = keyIdentity(k).python;
    const name = jsText(k);
    if (python.has(id) || js.has(name)) return false;
    python.add(id);
    js.add(name);
    return true;
  });
}

const documents: fc.Arbitrary<Py> = fc.letrec<{ value: Py; list: Py; dict: Py }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('list'), tie('dict')),
  list: fc.oneof(fc.array(tie('value'), { maxLength: 5 }), fc.array(scalar, { minLength: 14, maxLength: 20 })).map((v) => ({ t: 'list' as const, v })),
  dict: fc
    .oneof(fc.array(fc.tuple(key, tie('value')), { maxLength: 6 }), fc.array(fc.tuple(key, scalar), { minLength: 14, maxLength: 24 }))
    .map((v) => ({ t: 'dict' as const, v: uniqueEntries(v) })),
})).value;

/** salt-api's answers are mostly `{"return": [...]}` around such values. */
const answers = fc.oneof(
  documents,
  documents.map((doc): Py => ({ t: 'dict', v: [[{ t: 'str', v: 'return' }, { t: 'list', v: [doc] }]] })),
);

function hasGap(value: Py, gaps: ReadonlySet<number>): boolean {
  const textHasGap = (s: string) => Array.from(s).some((char) => gaps.has(char.codePointAt(0) as number));
  switch (value.t) {
    case 'str':
      return textHasGap(value.v);
    case 'list':
      return value.v.some((item) => hasGap(item, gaps));
    case 'dict':
      return value.v.some(([k, v]) => hasGap(k, gaps) || hasGap(v, gaps));
    default:
      return false;
  }
}

/** The hard cases a document holds, to check that the generated documents really hold them. */
function features(value: Py, found: Set<string> = new Set(), nested = false): Set<string> {
  switch (value.t) {
    case 'int':
      if (value.v > 2n ** 53n || value.v < -(2n ** 53n)) found.add('int beyond 2^53');
      if (value.v >= 2n ** 63n) found.add('int beyond 2^63');
      break;
    case 'float':
      if (Object.is(value.v, -0)) found.add('-0.0');
      else if (Number.isInteger(value.v)) found.add('integer-valued float');
      if (value.v !== 0 && Math.abs(value.v) < 1e-4) found.add('tiny float');
      if (Math.abs(value.v) >= 1e16) found.add('huge float');
      if (!Number.isFinite(value.v)) found.add('nan or inf');
      break;
    case 'str':
      if (/[\u{10000}-\u{10ffff}]/u.test(value.v)) found.add('astral');
      if (/[\0-\x08\x0b-\x1f\x7f\x85\u2028\u2029]/.test(value.v)) found.add('control');
      if (/[\u0080-\uffff]/.test(value.v)) found.add('non-ASCII');
      if (value.v.includes('\n')) found.add('multi-line');
      if (value.v.length > 100) found.add('long');
      if (YAML_HARD.includes(value.v)) found.add('YAML-hard');
      break;
    case 'list':
      if (nested && value.v.length === 0) found.add('nested empty');
      for (const item of value.v) features(item, found, true);
      break;
    case 'dict':
      if (nested && value.v.length === 0) found.add('nested empty');
      if (value.v.length >= 16) found.add('16+ keys');
      for (const [k, v] of value.v) {
        if (k.t === 'str' && /^(?:0|[1-9][0-9]*)$/.test(k.v)) found.add('integer-like key');
        if (k.t !== 'str') found.add('non-str key');
        features(k, found, true);
        features(v, found, true);
      }
      break;
  }
  return found;
}

interface Mismatch {
  kind: 'json' | 'yaml' | 'repr';
  document: string;
  ours: string;
  python: string;
}

function compare(docs: readonly Py[], gaps: ReadonlySet<number>): { mismatches: Mismatch[]; reprCompared: number } {
  const expected = pythonRender(docs);
  const mismatches: Mismatch[] = [];
  let reprCompared = 0;
  docs.forEach((doc, i) => {
    const decoded = asDecoded(doc);
    const python = expected[i]!;
    const shown = JSON.stringify(tagged(doc));
    const check = (kind: Mismatch['kind'], ours: Buffer, theirs: Buffer) => {
      if (!ours.equals(theirs)) mismatches.push({ kind, document: shown, ours: ours.toString('utf8'), python: theirs.toString('utf8') });
    };
    // Python's json.dumps writes NaN and Infinity, as the renderer does.
    check('json', Buffer.from(renderJson(decoded), 'utf8'), python.json);
    check('yaml', Buffer.from(renderYaml(decoded), 'utf8'), python.yaml);
    if (!hasGap(doc, gaps)) {
      reprCompared++;
      check('repr', Buffer.from(pythonRepr(decoded as never), 'utf8'), python.repr);
    }
  });
  return { mismatches, reprCompared };
}

describe('JSON, YAML and repr() against python3, byte for byte', function () {
  this.timeout(120_000);
  let gaps: Set<number>;

  before(() => {
    gaps = unicodeVersionGaps();
  });

  it('renders the hard cases one by one as python3 does', () => {
    const docs: Py[] = [
      ...YAML_HARD.map((v): Py => ({ t: 'dict', v: [[{ t: 'str', v: 'k' }, { t: 'str', v }], [{ t: 'str', v }, { t: 'list', v: [{ t: 'str', v }] }]] })),
      ...FLOAT_HARD.map((v): Py => ({ t: 'list', v: [{ t: 'float', v }, { t: 'dict', v: [[{ t: 'str', v: 'f' }, { t: 'float', v }]] }] })),
      { t: 'list', v: [2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 64n - 1n, -(2n ** 63n), 12345678901234567890n].map((v): Py => ({ t: 'int', v })) },
      {
        t: 'dict',
        v: [
          [{ t: 'str', v: 'minion-b' }, { t: 'bool', v: true }],
          [{ t: 'str', v: '10' }, { t: 'bool', v: true }],
          [{ t: 'str', v: '9' }, { t: 'dict', v: [] }],
          [{ t: 'str', v: 'a' }, { t: 'list', v: [{ t: 'list', v: [] }, { t: 'dict', v: [] }] }],
          [{ t: 'str', v: '0' }, { t: 'none' }],
        ],
      },
      { t: 'dict', v: [[{ t: 'int', v: 10n }, { t: 'str', v: 'ten' }], [{ t: 'int', v: 9n }, { t: 'str', v: 'nine' }], [{ t: 'int', v: 2n ** 63n }, { t: 'none' }]] },
      { t: 'dict', v: [[{ t: 'int', v: 2n }, { t: 'str', v: 'int' }], [{ t: 'str', v: 'b' }, { t: 'str', v: 'str' }], [{ t: 'none' }, { t: 'float', v: 1 }]] },
      { t: 'dict', v: [[{ t: 'bool', v: true }, { t: 'float', v: -0 }], [{ t: 'float', v: 0.5 }, { t: 'float', v: 1e16 }]] },
    ];
    const { mismatches } = compare(docs, gaps);
    expect(mismatches.slice(0, 5)).to.deep.equal([]);
  });

  it('renders 4,000 generated documents as python3 does (one python3 run per 500)', () => {
    const docs = fc.sample(answers, seeded(4000));
    let reprCompared = 0;
    const mismatches: Mismatch[] = [];
    for (let start = 0; start < docs.length; start += 500) {
      const batch = compare(docs.slice(start, start + 500), gaps);
      mismatches.push(...batch.mismatches);
      reprCompared += batch.reprCompared;
    }
    expect(mismatches.slice(0, 5)).to.deep.equal([]);
    expect(reprCompared, 'documents whose repr() was compared').to.be.greaterThan(3000);
    const counts = new Map<string, number>();
    for (const doc of docs) for (const feature of features(doc)) counts.set(feature, (counts.get(feature) ?? 0) + 1);
    const expected = ['int beyond 2^53', 'int beyond 2^63', '-0.0', 'integer-valued float', 'tiny float', 'huge float', 'nan or inf', 'astral', 'control', 'non-ASCII', 'multi-line', 'long', 'YAML-hard', 'nested empty', '16+ keys', 'integer-like key', 'non-str key'];
    for (const feature of expected) expect(counts.get(feature) ?? 0, `documents with ${feature}`).to.be.at.least(40);
  });
});
