/**
 * msgpack codec following Salt's payload rules (wire.md §2.3, §5.2).
 *
 * - Requests to the master (and the sandbox master's replies) use the *old* msgpack spec that
 *   Python's `msgpack.packb(..., use_bin_type=False)` produces: every string is a raw/str
 *   (fixstr, str16, str32 — never str8), bytes are raw too, and there is no bin type.
 *   msgpackr has no switch for that dialect, so {@link packOldSpec} writes it; everything else
 *   (decoding, the new-spec event frames) is msgpackr.
 * - Replies and events are decoded by msgpackr; raw strings are read as UTF-8 and the few
 *   invalid byte sequences that can occur (bytes in a minion return) become U+FFFD, which is
 *   what any JSON client would get anyway.
 */
import { Packr, Unpackr, addExtension } from 'msgpackr';
import type { EventFrame, SaltMap, SaltValue } from './types.js';

/** Salt's datetime extension (type 78): ASCII `YYYYMMDDTHH:MM:SS.ffffff`, rendered ISO-like. */
const SALT_DATETIME_EXT = 78;
/** Salt's constant extension (type 79): msgpack of `[name, value]`; we keep the value. */
const SALT_CONSTANT_EXT = 79;

class SaltDatetime {
  constructor(readonly text: string) {}
}

addExtension({
  Class: SaltDatetime,
  type: SALT_DATETIME_EXT,
  pack: (value: SaltDatetime) => Buffer.from(value.text, 'ascii'),
  unpack: (buffer: Uint8Array) => {
    const raw = Buffer.from(buffer).toString('ascii');
    const m = /^(\d{4})(\d{2})(\d{2})T(.*)$/.exec(raw);
    return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}` : raw;
  },
});

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

addExtension({
  type: SALT_CONSTANT_EXT,
  unpack: (buffer: Uint8Array) => {
    const decoded = unpackr.unpack(buffer) as SaltValue;
    return Array.isArray(decoded) && decoded.length === 2 ? decoded[1] : decoded;
  },
});

/** New-spec packer (str8 and bin allowed), as Salt's event bus frames use. */
const newSpecPackr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

/** Decode one msgpack object (a master reply, an event payload, a sandbox request). */
export function unpack(buffer: Uint8Array): SaltValue {
  return unpackr.unpack(buffer) as SaltValue;
}

/**
 * Decode the first msgpack value of a stream: the value and the offset just past it, or undefined
 * when the bytes end before the value does. Bytes that are no msgpack throw.
 */
export function decodeOne(bytes: Uint8Array): { value: SaltValue; end: number } | undefined {
  let found: { value: SaltValue; end: number } | undefined;
  try {
    unpackr.unpackMultiple(bytes, (value: unknown, _start?: number, end?: number) => {
      found = { value: value as SaltValue, end: end ?? bytes.length };
      return false;
    });
  } catch (error) {
    if ((error as { incomplete?: boolean }).incomplete) return undefined;
    throw error;
  }
  return found;
}

/** Encode with msgpack's new spec (str8/bin types), as `use_bin_type=True`. */
export function packNewSpec(value: unknown): Buffer {
  return newSpecPackr.pack(value);
}

/** Encode with msgpack's old spec, byte-compatible with `msgpack.packb(obj, use_bin_type=False)`. */
export function packOldSpec(value: unknown): Buffer {
  const writer = new OldSpecWriter();
  writer.write(value);
  return writer.result();
}

class OldSpecWriter {
  private buf = Buffer.allocUnsafe(256);
  private pos = 0;

  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
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
    if (typeof value === 'string') return this.raw(Buffer.from(value, 'utf8'));
    if (typeof value === 'number') return this.number(value);
    if (typeof value === 'bigint') return this.bigint(value);
    if (value instanceof Uint8Array) return this.raw(value);
    if (value instanceof SaltDatetime) return this.write(value.text);
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
    if (typeof value === 'object') {
      const entries = Object.entries(value as SaltMap).filter(([, v]) => v !== undefined);
      this.collection(0x80, 0xde, entries.length);
      for (const [k, v] of entries) {
        this.write(k);
        this.write(v);
      }
      return;
    }
    throw new TypeError(`cannot msgpack a ${typeof value}`);
  }

  private collection(fix: number, base16: number, length: number): void {
    if (length < 16) this.byte(fix | length);
    else if (length < 0x10000) this.header(base16, 2, length);
    else this.header(base16 + 1, 4, length);
  }

  /** Old-spec raw: fixstr below 32 bytes, then str16/str32 (no str8, as Python's use_bin_type=False). */
  private raw(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n < 32) this.byte(0xa0 | n);
    else if (n < 0x10000) this.header(0xda, 2, n);
    else this.header(0xdb, 4, n);
    this.ensure(n);
    this.buf.set(bytes, this.pos);
    this.pos += n;
  }

  private number(n: number): void {
    if (!Number.isInteger(n) || !Number.isSafeInteger(n)) {
      this.ensure(9);
      this.buf[this.pos++] = 0xcb;
      this.buf.writeDoubleBE(n, this.pos);
      this.pos += 8;
      return;
    }
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

  private bigint(n: bigint): void {
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

const TAG_SEPARATOR = Buffer.from('\n\n');

/** Build the `{"head": {}, "body": <bin>}` frame Salt's event bus carries (wire.md §5.2). */
export function packEventFrame(event: EventFrame): Buffer {
  const body = Buffer.concat([Buffer.from(event.tag, 'utf8'), TAG_SEPARATOR, packNewSpec(event.data)]);
  return packNewSpec({ head: {}, body });
}

/** Split an event frame's `body` into tag and data; undefined when the body is not an event. */
export function parseEventBody(body: Uint8Array): EventFrame | undefined {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const split = bytes.indexOf(TAG_SEPARATOR);
  if (split < 0) return undefined;
  const tag = bytes.subarray(0, split).toString('utf8');
  const data = unpack(bytes.subarray(split + TAG_SEPARATOR.length));
  if (data === null || typeof data !== 'object' || Array.isArray(data) || data instanceof Uint8Array) {
    return { tag, data: {} };
  }
  return { tag, data };
}

/** Pull the body out of a decoded outer frame, or undefined when it is not one. */
export function frameBody(frame: unknown): Uint8Array | undefined {
  if (frame === null || typeof frame !== 'object') return undefined;
  const body = (frame as { body?: unknown }).body;
  if (body instanceof Uint8Array) return body;
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : undefined;
}
