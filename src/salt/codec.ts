/**
 * msgpack codec following Salt's payload rules (wire.md §2.3, §5.2), reading and writing exactly
 * what Python's msgpack reads and writes.
 *
 * - Requests to the master (and the sandbox master's replies) use the *old* msgpack spec that
 *   Python's `msgpack.packb(..., use_bin_type=False)` produces: every string is a raw/str
 *   (fixstr, str16, str32 — never str8), bytes are raw too, and there is no bin type
 *   ({@link packOldSpec}). Event bus frames use the new spec (`use_bin_type=True`: str8 and bin,
 *   {@link packNewSpec}).
 * - Replies and events are decoded into the values python-values.ts describes, so nothing Python
 *   would keep is lost: ints beyond 2^53 are bigints, integer-valued floats are `PyFloat` boxes
 *   (`1.0` stays a float), maps keep their key order even for integer-like keys (numeric minion
 *   ids) and remember keys that were not strings, and a `__proto__` key is data like any other.
 *   Raw strings are read as UTF-8; the few invalid byte sequences that can occur (bytes in a
 *   minion return) become U+FFFD, which is what any JSON client would get anyway.
 * - Extension types: Salt's datetime (78) becomes its ISO-like text, Salt's constant (79) its
 *   value; any other is kept as an opaque {@link MsgpackExt}, which, like the `ExtType` Python's
 *   msgpack returns, JSON refuses and YAML writes as `NULL`.
 */
import { ByteWriter } from '../../serializers/byte-writer.js';
import { pythonJsonNumber } from '../../serializers/python-number.js';
import { Errors } from '../errors.js';
import {
  PyFloat,
  attachKeyOrder,
  attachKeyTypes,
  dictInfo,
  orderedEntries,
  readMember,
  type PyKey,
} from '../../serializers/python-values.js';
import { isSaltMap } from '../../serializers/value-kinds.js';
import { valueEnd } from './msgpackExtent.js';
import { PackedValue } from './packedValue.js';
import type { EventFrame, SaltMap, SaltValue } from './types.js';

/** Salt's datetime extension (type 78): ASCII `YYYYMMDDTHH:MM:SS.ffffff`, rendered ISO-like. */
const SALT_DATETIME_EXT = 78;
/** Salt's constant extension (type 79): msgpack of `[name, value]`; we keep the value. */
const SALT_CONSTANT_EXT = 79;

/** An extension type Salt does not define (Python's msgpack returns an `ExtType`). */
export class MsgpackExt {
  constructor(
    readonly type: number,
    readonly data: Uint8Array,
  ) {}
}

/** Thrown when the bytes end before the value does ({@link decodeOne} turns it into undefined). */
class IncompleteMsgpack extends Error {
  readonly incomplete = true;
  constructor() {
    super('msgpack value is incomplete');
  }
}

const TWO_32 = 2 ** 32;
/** Ints up to this magnitude are plain numbers; beyond it, bigints (python-values.ts). */
const INT_LIMIT_HIGH_WORD = 0x200000; // 2^53 / 2^32

/** The text Python's json.dumps writes for a dict key that is not a str. */
function keyText(key: PyKey): string {
  if (key === null) return 'null';
  if (typeof key === 'boolean') return key ? 'true' : 'false';
  return pythonJsonNumber(key);
}

/**
 * Short keys seen before, by a hash of their bytes: reusing the string spares building it and
 * lets V8 find the (already internalized) property name at once. A slot holds one key.
 */
const keyCache: Array<string | undefined> = new Array<string | undefined>(4096);
const MAX_CACHED_KEY = 16;

class Decoder {
  private pos = 0;
  private view: DataView | undefined;
  private text: Buffer | undefined;

  constructor(
    private readonly src: Uint8Array,
    private readonly end: number = src.length,
  ) {}

  get offset(): number {
    return this.pos;
  }

  /** Make sure `n` more bytes are there. */
  private need(n: number): void {
    if (this.pos + n > this.end) throw new IncompleteMsgpack();
  }

  private dataView(): DataView {
    return (this.view ??= new DataView(this.src.buffer, this.src.byteOffset, this.src.byteLength));
  }

  private buffer(): Buffer {
    const src = this.src;
    return (this.text ??= Buffer.isBuffer(src) ? src : Buffer.from(src.buffer, src.byteOffset, src.byteLength));
  }

  private u8(): number {
    this.need(1);
    return this.src[this.pos++] as number;
  }

  private u16(): number {
    this.need(2);
    const src = this.src;
    const pos = this.pos;
    this.pos = pos + 2;
    return ((src[pos] as number) << 8) | (src[pos + 1] as number);
  }

  private u32(): number {
    this.need(4);
    const src = this.src;
    const pos = this.pos;
    this.pos = pos + 4;
    return (src[pos] as number) * 0x1000000 + (((src[pos + 1] as number) << 16) | ((src[pos + 2] as number) << 8) | (src[pos + 3] as number));
  }

  read(): SaltValue {
    if (this.pos >= this.end) throw new IncompleteMsgpack();
    const token = this.src[this.pos++] as number;
    if (token < 0x80) return token;
    if (token < 0x90) return this.map(token & 0x0f);
    if (token < 0xa0) return this.array(token & 0x0f);
    if (token < 0xc0) return this.string(token & 0x1f);
    if (token >= 0xe0) return token - 0x100;
    let value: number;
    switch (token) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.bytes(this.u8());
      case 0xc5:
        return this.bytes(this.u16());
      case 0xc6:
        return this.bytes(this.u32());
      case 0xc7:
        return this.ext(this.u8());
      case 0xc8:
        return this.ext(this.u16());
      case 0xc9:
        return this.ext(this.u32());
      case 0xca:
        this.need(4);
        value = this.dataView().getFloat32(this.pos);
        this.pos += 4;
        return Number.isInteger(value) ? new PyFloat(value) : value;
      case 0xcb:
        this.need(8);
        value = this.dataView().getFloat64(this.pos);
        this.pos += 8;
        return Number.isInteger(value) ? new PyFloat(value) : value;
      case 0xcc:
        return this.u8();
      case 0xcd:
        return this.u16();
      case 0xce:
        return this.u32();
      case 0xcf: {
        const high = this.u32();
        const low = this.u32();
        if (high < INT_LIMIT_HIGH_WORD || (high === INT_LIMIT_HIGH_WORD && low === 0)) return high * TWO_32 + low;
        return this.dataView().getBigUint64(this.pos - 8);
      }
      case 0xd0:
        value = this.u8();
        return value < 0x80 ? value : value - 0x100;
      case 0xd1:
        value = this.u16();
        return value < 0x8000 ? value : value - 0x10000;
      case 0xd2:
        return this.u32() | 0;
      case 0xd3: {
        const high = this.u32() | 0;
        const low = this.u32();
        const exact = (high >= -INT_LIMIT_HIGH_WORD && high < INT_LIMIT_HIGH_WORD) || (high === INT_LIMIT_HIGH_WORD && low === 0);
        return exact ? high * TWO_32 + low : this.dataView().getBigInt64(this.pos - 8);
      }
      case 0xd4:
        return this.ext(1);
      case 0xd5:
        return this.ext(2);
      case 0xd6:
        return this.ext(4);
      case 0xd7:
        return this.ext(8);
      case 0xd8:
        return this.ext(16);
      case 0xd9:
        return this.string(this.u8());
      case 0xda:
        return this.string(this.u16());
      case 0xdb:
        return this.string(this.u32());
      case 0xdc:
        return this.array(this.u16());
      case 0xdd:
        return this.array(this.u32());
      case 0xde:
        return this.map(this.u16());
      case 0xdf:
        return this.map(this.u32());
      default:
        throw new Error(`unknown msgpack type 0x${token.toString(16)}`);
    }
  }

  private string(length: number): string {
    this.need(length);
    const start = this.pos;
    const end = start + length;
    this.pos = end;
    if (length <= 8) {
      // Short ASCII text is cheaper to build here than through the UTF-8 decoder.
      const src = this.src;
      for (let i = start; i < end; i++) if ((src[i] as number) >= 0x80) return this.buffer().toString('utf8', start, end);
      return shortAscii(src, start, length);
    }
    return this.buffer().toString('utf8', start, end);
  }

  /** A map key: a short str comes from the key cache when it was seen before. */
  private key(): SaltValue {
    const token = this.src[this.pos];
    if (token === undefined || token < 0xa0 || token > 0xa0 + MAX_CACHED_KEY) return this.read();
    const length = token - 0xa0;
    this.pos++;
    this.need(length);
    const src = this.src;
    const start = this.pos;
    let hash = length;
    for (let i = start; i < start + length; i++) {
      const byte = src[i] as number;
      if (byte >= 0x80) return this.string(length);
      hash = (Math.imul(hash, 31) + byte) | 0;
    }
    const slot = hash & 0xfff;
    const cached = keyCache[slot];
    if (cached !== undefined && cached.length === length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (cached.charCodeAt(i) !== src[start + i]) {
          same = false;
          break;
        }
      }
      if (same) {
        this.pos = start + length;
        return cached;
      }
    }
    const key = this.string(length);
    keyCache[slot] = key;
    return key;
  }

  private bytes(length: number): Uint8Array {
    this.need(length);
    const start = this.pos;
    this.pos += length;
    return this.src.subarray(start, this.pos);
  }

  private array(length: number): SaltValue[] {
    this.checkArrayLength(length);
    const items = new Array<SaltValue>(length);
    for (let i = 0; i < length; i++) items[i] = this.read();
    return items;
  }

  private map(length: number): SaltMap {
    this.checkMapLength(length);
    const map = new MapBuilder();
    for (let i = 0; i < length; i++) map.add(this.key(), this.read());
    return map.done();
  }

  /** A member of a container read in slices: a scalar at once, a container in slices itself. */
  private member(depth: number, between: () => Promise<void> | undefined): SaltValue | Promise<SaltValue> {
    const token = this.src[this.pos];
    return depth === 0 || token === undefined || containerHeader(token) === undefined ? this.read() : this.readSliced(depth, between);
  }

  private checkArrayLength(length: number): void {
    // Every item takes at least one byte: a length beyond what is left cannot be satisfied.
    if (length > this.end - this.pos) throw new IncompleteMsgpack();
  }

  private checkMapLength(length: number): void {
    if (length * 2 > this.end - this.pos) throw new IncompleteMsgpack();
  }

  /**
   * What {@link read} returns, for a value that may be huge: containers down to `depth` levels are
   * read a member at a time, with `between` awaited after each, so the caller can give the event
   * loop a turn; deeper values (one minion's return, say) are read whole.
   */
  async readSliced(depth: number, between: () => Promise<void> | undefined): Promise<SaltValue> {
    const token = this.src[this.pos];
    const header = depth === 0 || token === undefined ? undefined : containerHeader(token);
    if (header === undefined) return this.read();
    const length = this.containerLength(header);
    if (header.kind === 'array') {
      this.checkArrayLength(length);
      const items = new Array<SaltValue>(length);
      for (let i = 0; i < length; i++) {
        const item = this.member(depth - 1, between);
        items[i] = item instanceof Promise ? await item : item;
        const paused = between();
        if (paused !== undefined) await paused;
      }
      return items;
    }
    this.checkMapLength(length);
    const map = new MapBuilder();
    for (let i = 0; i < length; i++) {
      const key = this.key();
      const value = this.member(depth - 1, between);
      map.add(key, value instanceof Promise ? await value : value);
      const paused = between();
      if (paused !== undefined) await paused;
    }
    return map.done();
  }

  /** Past the header of the container at hand (`header`, read from its token): its member count. */
  private containerLength(header: ContainerHeader): number {
    this.pos++;
    return header.width === 0 ? header.length : header.width === 2 ? this.u16() : this.u32();
  }

  /**
   * An event's data mapping, with the value of its `return` member kept packed
   * ({@link PackedValue}) when it takes `packFrom` bytes or more and JSON can render all of it;
   * anything else read as {@link read}.
   */
  readEventData(packFrom: number): SaltValue {
    const token = this.src[this.pos];
    const header = token === undefined ? undefined : containerHeader(token);
    if (header?.kind !== 'map') return this.read();
    const length = this.containerLength(header);
    this.checkMapLength(length);
    const map = new MapBuilder();
    for (let i = 0; i < length; i++) {
      const key = this.key();
      map.add(key, key === 'return' ? this.packedOrRead(packFrom) : this.read());
    }
    return map.done();
  }

  /**
   * A value holding an extension type Salt does not define is read at once: JSON refuses it, and
   * a packed value must render wherever its decoded form would (or would not, with duplicate keys).
   */
  private packedOrRead(packFrom: number): SaltValue {
    const start = this.pos;
    let foreign = false;
    const end = valueEnd(this.src, start, this.end, (type, data) => (foreign ||= isForeignExtension(type, data)));
    if (end - start < packFrom || foreign) return this.read();
    this.pos = end;
    const bytes = new Uint8Array(end - start);
    bytes.set(this.src.subarray(start, end));
    return new PackedValue(bytes);
  }

  private ext(length: number): SaltValue {
    this.need(1 + length);
    const type = this.dataView().getInt8(this.pos++);
    const data = this.src.subarray(this.pos, this.pos + length);
    this.pos += length;
    return saltExtension(type, data) ?? (new MsgpackExt(type, data) as unknown as SaltValue);
  }
}

/** A map key's property name: a str as is, bytes as UTF-8, a number, bool or nil as Python's json.dumps writes it. */
function memberName(raw: SaltValue): string {
  if (typeof raw === 'string') return raw;
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  if (isTypedKey(raw)) return keyText(raw);
  throw new Error('a msgpack map key must be a string, a number, a boolean or nil');
}

/** A key that is not a str, whose type the map must remember for the renderers. */
function isTypedKey(raw: SaltValue): raw is PyKey {
  return raw === null || typeof raw === 'number' || typeof raw === 'bigint' || typeof raw === 'boolean' || raw instanceof PyFloat;
}

/** A decoded map, member by member: its key order and non-str key types kept (python-values.ts). */
class MapBuilder {
  private readonly object: SaltMap = {};
  private order: string[] | undefined;
  private types: Map<string, PyKey> | undefined;

  add(raw: SaltValue, value: SaltValue): void {
    const key = memberName(raw);
    if (isTypedKey(raw)) (this.types ??= new Map()).set(key, raw);
    this.order = readMember(this.object, this.order, key, value);
  }

  done(): SaltMap {
    if (this.order !== undefined) attachKeyOrder(this.object, this.order);
    if (this.types !== undefined) attachKeyTypes(this.object, this.types);
    return this.object;
  }
}

interface ContainerHeader {
  kind: 'map' | 'array';
  /** Bytes of length after the token (0: the length is in the token). */
  width: 0 | 2 | 4;
  /** The length, when it is in the token. */
  length: number;
}

/** The container a msgpack token starts, or undefined for any other value. */
function containerHeader(token: number): ContainerHeader | undefined {
  if (token >= 0x80 && token < 0x90) return { kind: 'map', width: 0, length: token & 0x0f };
  if (token >= 0x90 && token < 0xa0) return { kind: 'array', width: 0, length: token & 0x0f };
  if (token === 0xdc || token === 0xdd) return { kind: 'array', width: token === 0xdc ? 2 : 4, length: 0 };
  if (token === 0xde || token === 0xdf) return { kind: 'map', width: token === 0xde ? 2 : 4, length: 0 };
  return undefined;
}

/** ASCII bytes (at most 8) as a string, without a loop of concatenations. */
function shortAscii(src: Uint8Array, at: number, length: number): string {
  const c = (i: number) => src[at + i] as number;
  switch (length) {
    case 0:
      return '';
    case 1:
      return String.fromCharCode(c(0));
    case 2:
      return String.fromCharCode(c(0), c(1));
    case 3:
      return String.fromCharCode(c(0), c(1), c(2));
    case 4:
      return String.fromCharCode(c(0), c(1), c(2), c(3));
    case 5:
      return String.fromCharCode(c(0), c(1), c(2), c(3), c(4));
    case 6:
      return String.fromCharCode(c(0), c(1), c(2), c(3), c(4), c(5));
    case 7:
      return String.fromCharCode(c(0), c(1), c(2), c(3), c(4), c(5), c(6));
    default:
      return String.fromCharCode(c(0), c(1), c(2), c(3), c(4), c(5), c(6), c(7));
  }
}

/** Whether an extension must be decoded at once: one Salt does not define (a {@link MsgpackExt}), or a constant holding one. */
function isForeignExtension(type: number, data: Uint8Array): boolean {
  if (type === SALT_DATETIME_EXT) return false;
  if (type !== SALT_CONSTANT_EXT) return true;
  let foreign = false;
  // A constant's value is msgpack itself, and may hold anything; bytes past it make it unreadable, read at once to fail as before.
  const end = valueEnd(data, 0, data.length, (inner, innerData) => (foreign ||= isForeignExtension(inner, innerData)));
  return foreign || end !== data.length;
}

/** The value of one of Salt's own extension types (78 datetime, 79 constant); undefined for any other. */
export function saltExtension(type: number, data: Uint8Array): SaltValue | undefined {
  if (type === SALT_DATETIME_EXT) {
    const raw = Buffer.from(data).toString('ascii');
    const m = /^(\d{4})(\d{2})(\d{2})T(.*)$/.exec(raw);
    return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}` : raw;
  }
  if (type === SALT_CONSTANT_EXT) {
    const decoded = unpack(data);
    return Array.isArray(decoded) && decoded.length === 2 ? (decoded[1] as SaltValue) : decoded;
  }
  return undefined;
}

/** Decode one msgpack object (a master reply, an event payload, a sandbox request). */
export function unpack(buffer: Uint8Array): SaltValue {
  const decoder = new Decoder(buffer);
  const value = decoder.read();
  if (decoder.offset !== buffer.length) throw new Error('extra bytes after the msgpack value');
  return value;
}

/** Levels of a huge value read a member at a time by {@link unpackSliced}: an event, its data, the data's members (minions). */
const SLICED_DEPTH = 3;

/**
 * {@link unpack} for a value too big to decode in one turn of the event loop (a `/jobs/<jid>` of
 * thousands of minions arrives as one event of tens of MB): `pause` is awaited each time about
 * `sliceBytes` more have been read, between members of the top levels, so the API keeps answering
 * other requests meanwhile. The value is the same {@link unpack} gives.
 */
export async function unpackSliced(buffer: Uint8Array, pause: () => Promise<void>, sliceBytes: number): Promise<SaltValue> {
  const decoder = new Decoder(buffer);
  let mark = 0;
  // No promise while the slice lasts: the decoder awaits only when there is a pause to take.
  const between = (): Promise<void> | undefined => {
    if (decoder.offset - mark < sliceBytes) return undefined;
    mark = decoder.offset;
    return pause();
  };
  const value = await decoder.readSliced(SLICED_DEPTH, between);
  if (decoder.offset !== buffer.length) throw new Error('extra bytes after the msgpack value');
  return value;
}

/**
 * Decode the first msgpack value of a stream: the value and the offset just past it, or undefined
 * when the bytes end before the value does. Bytes that are no msgpack throw.
 */
export function decodeOne(bytes: Uint8Array): { value: SaltValue; end: number } | undefined {
  const decoder = new Decoder(bytes);
  try {
    const value = decoder.read();
    return { value, end: decoder.offset };
  } catch (error) {
    if (error instanceof IncompleteMsgpack) return undefined;
    throw error;
  }
}

/** Encode with msgpack's new spec (str8/bin types), as `msgpack.packb(obj, use_bin_type=True)`. */
export function packNewSpec(value: unknown): Buffer {
  const writer = new Writer(true);
  writer.write(value);
  return writer.result();
}

/** Encode with msgpack's old spec, byte-compatible with `msgpack.packb(obj, use_bin_type=False)`. */
export function packOldSpec(value: unknown): Buffer {
  const writer = new Writer(false);
  writer.write(value);
  return writer.result();
}

/**
 * Python msgpack's packer: the smallest encoding of each int, floats as float64, maps in the
 * dict's own order (python-values.ts), non-str keys as what they were.
 */
class Writer extends ByteWriter {
  constructor(private readonly newSpec: boolean) {
    super(256);
  }

  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  private header(prefix: number, width: 0 | 1 | 2 | 4 | 8, value: number): void {
    this.ensure(1 + width);
    this.buf[this.pos++] = prefix;
    if (width === 1) this.buf.writeUInt8(value, this.pos);
    else if (width === 2) this.buf.writeUInt16BE(value, this.pos);
    else if (width === 4) this.buf.writeUInt32BE(value, this.pos);
    this.pos += width;
  }

  write(value: unknown): void {
    if (value === null || value === undefined) return this.byte(0xc0);
    if (value === true) return this.byte(0xc3);
    if (value === false) return this.byte(0xc2);
    if (typeof value === 'string') return this.str(Buffer.from(value, 'utf8'));
    if (typeof value === 'number') return this.number(value);
    if (typeof value === 'bigint') return this.bigint(value);
    if (value instanceof PyFloat) return this.float(value.value);
    if (value instanceof Uint8Array) return this.newSpec ? this.bin(value) : this.str(value);
    if (Array.isArray(value)) {
      this.collection(0x90, 0xdc, value.length);
      for (const item of value) this.write(item);
      return;
    }
    if (value instanceof Map) {
      this.collection(0x80, 0xde, value.size);
      for (const [k, v] of value) {
        this.write(k);
        this.write(v);
      }
      return;
    }
    if (value instanceof MsgpackExt) return this.ext(value);
    if (value instanceof Date) return this.ext(timestampExt(value));
    if (typeof value === 'object') return this.object(value as SaltMap);
    throw new TypeError(`cannot msgpack a ${typeof value}`);
  }

  private object(object: SaltMap): void {
    const info = dictInfo(object);
    const types = info?.types;
    const entries = info === undefined ? Object.entries(object) : orderedEntries(object, info);
    let size = entries.length;
    for (const [, value] of entries) if (value === undefined) size--;
    this.collection(0x80, 0xde, size);
    for (const [key, value] of entries) {
      if (value === undefined) continue;
      const typed = types?.get(key);
      this.write(typed === undefined ? key : typed);
      this.write(value);
    }
  }

  private collection(fix: number, base16: number, length: number): void {
    if (length < 16) this.byte(fix | length);
    else if (length < 0x10000) this.header(base16, 2, length);
    else this.header(base16 + 1, 4, length);
  }

  /** A str (a raw in the old spec): fixstr, then str8 (new spec only), str16, str32. */
  private str(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n < 32) this.byte(0xa0 | n);
    else if (n < 0x100 && this.newSpec) this.header(0xd9, 1, n);
    else if (n < 0x10000) this.header(0xda, 2, n);
    else this.header(0xdb, 4, n);
    this.copy(bytes);
  }

  private bin(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n < 0x100) this.header(0xc4, 1, n);
    else if (n < 0x10000) this.header(0xc5, 2, n);
    else this.header(0xc6, 4, n);
    this.copy(bytes);
  }

  private ext(ext: MsgpackExt): void {
    const n = ext.data.length;
    const fixed = [1, 2, 4, 8, 16].indexOf(n);
    if (fixed >= 0) this.byte(0xd4 + fixed);
    else if (n < 0x100) this.header(0xc7, 1, n);
    else if (n < 0x10000) this.header(0xc8, 2, n);
    else this.header(0xc9, 4, n);
    this.ensure(1);
    this.buf.writeInt8(ext.type, this.pos++);
    this.copy(ext.data);
  }

  private copy(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  private float(n: number): void {
    this.ensure(9);
    this.buf[this.pos++] = 0xcb;
    this.buf.writeDoubleBE(n, this.pos);
    this.pos += 8;
  }

  private number(n: number): void {
    // A plain number is an int when it is an integer within ±2^53, a float otherwise.
    if (!Number.isInteger(n) || Math.abs(n) > 2 ** 53) return this.float(n);
    if (n >= 0) {
      if (n < 0x80) return this.byte(n);
      if (n < 0x100) return this.header(0xcc, 1, n);
      if (n < 0x10000) return this.header(0xcd, 2, n);
      if (n < 0x100000000) return this.header(0xce, 4, n);
      return this.bigint(BigInt(n));
    }
    if (n >= -32) return this.byte(n & 0xff);
    this.ensure(9);
    if (n >= -0x80) {
      this.buf[this.pos++] = 0xd0;
      this.buf.writeInt8(n, this.pos);
      this.pos += 1;
    } else if (n >= -0x8000) {
      this.buf[this.pos++] = 0xd1;
      this.buf.writeInt16BE(n, this.pos);
      this.pos += 2;
    } else if (n >= -0x80000000) {
      this.buf[this.pos++] = 0xd2;
      this.buf.writeInt32BE(n, this.pos);
      this.pos += 4;
    } else {
      this.bigint(BigInt(n));
    }
  }

  /**
   * uint64 or int64, as Python's packer. An int beyond that cannot be packed (Python's msgpack
   * raises OverflowError, a 500 in salt-api): a request that carries one is a 400, before any of
   * it is sent.
   */
  private bigint(n: bigint): void {
    if (n >= 0n && n < 0x100000000n) return this.number(Number(n));
    if (n < 0n && n >= -0x80000000n) return this.number(Number(n));
    if (n >= 2n ** 64n || n < -(2n ** 63n)) throw Errors.BadRequest('An integer beyond 64 bits cannot be sent to the Salt master');
    this.ensure(9);
    if (n >= 0n) {
      this.buf[this.pos++] = 0xcf;
      this.buf.writeBigUInt64BE(n, this.pos);
    } else {
      this.buf[this.pos++] = 0xd3;
      this.buf.writeBigInt64BE(n, this.pos);
    }
    this.pos += 8;
  }
}

/** The msgpack timestamp extension (type -1) for a Date, as Python's `msgpack.Timestamp` packs it. */
function timestampExt(date: Date): MsgpackExt {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  const nanoseconds = (ms - seconds * 1000) * 1e6;
  if (nanoseconds === 0 && seconds >= 0 && seconds < 2 ** 32) {
    const data = Buffer.alloc(4);
    data.writeUInt32BE(seconds);
    return new MsgpackExt(-1, data);
  }
  if (seconds >= 0 && seconds < 2 ** 34) {
    const data = Buffer.alloc(8);
    data.writeBigUInt64BE((BigInt(nanoseconds) << 34n) | BigInt(seconds));
    return new MsgpackExt(-1, data);
  }
  const data = Buffer.alloc(12);
  data.writeUInt32BE(nanoseconds);
  data.writeBigInt64BE(BigInt(seconds), 4);
  return new MsgpackExt(-1, data);
}

const TAG_SEPARATOR = Buffer.from('\n\n');

/** Build the `{"head": {}, "body": <bin>}` frame Salt's event bus carries (wire.md §5.2). */
export function packEventFrame(event: EventFrame): Buffer {
  const body = Buffer.concat([Buffer.from(event.tag, 'utf8'), TAG_SEPARATOR, packNewSpec(event.data)]);
  return packNewSpec({ head: {}, body });
}

/** An event body's tag and its msgpack payload; undefined when the body is not an event. */
function splitEventBody(body: Uint8Array): { tag: string; payload: Buffer } | undefined {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const split = bytes.indexOf(TAG_SEPARATOR);
  if (split < 0) return undefined;
  return { tag: bytes.subarray(0, split).toString('utf8'), payload: bytes.subarray(split + TAG_SEPARATOR.length) };
}

/** An event's data is a mapping; anything else is read as an empty one. */
function eventOf(tag: string, data: SaltValue): EventFrame {
  return { tag, data: isSaltMap(data) ? data : {} };
}

/** A minion's return of a job: `salt/job/<jid>/ret/<minion id>`. */
const MINION_RETURN_TAG = /^salt\/job\/[^/]+\/ret\//;

/**
 * Split an event frame's `body` into tag and data; undefined when the body is not an event. With
 * `packReturnsFrom`, the `return` of a minion's job return that takes that many bytes or more is
 * kept packed ({@link PackedValue}).
 */
export function parseEventBody(body: Uint8Array, packReturnsFrom?: number): EventFrame | undefined {
  const split = splitEventBody(body);
  if (!split) return undefined;
  if (packReturnsFrom === undefined || !MINION_RETURN_TAG.test(split.tag)) return eventOf(split.tag, unpack(split.payload));
  const decoder = new Decoder(split.payload);
  const data = decoder.readEventData(packReturnsFrom);
  if (decoder.offset !== split.payload.length) throw new Error('extra bytes after the msgpack value');
  return eventOf(split.tag, data);
}

/** {@link parseEventBody} for a huge body, decoded in slices ({@link unpackSliced}). */
export async function parseEventBodySliced(body: Uint8Array, pause: () => Promise<void>, sliceBytes: number): Promise<EventFrame | undefined> {
  const split = splitEventBody(body);
  return split && eventOf(split.tag, await unpackSliced(split.payload, pause, sliceBytes));
}

/** Pull the body out of a decoded outer frame, or undefined when it is not one. */
export function frameBody(frame: unknown): Uint8Array | undefined {
  if (frame === null || typeof frame !== 'object') return undefined;
  const body = (frame as { body?: unknown }).body;
  if (body instanceof Uint8Array) return body;
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : undefined;
}
