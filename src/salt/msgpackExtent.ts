/**
 * Finds where one msgpack value ends in bytes that arrive in chunks, without decoding it: the
 * headers are read and every payload (str, bin, ext) is skipped by its length. Fed chunk by chunk,
 * the whole value is scanned once, so a value of tens of megabytes costs one pass before its one
 * decode, instead of a decode attempt per arriving chunk.
 */

/** Bytes of the header that starts with `type` (the type byte included). */
function headerSize(type: number): number {
  if (type < 0xc0 || type >= 0xe0) return 1;
  switch (type) {
    case 0xc4:
    case 0xc7:
    case 0xcc:
    case 0xd0:
    case 0xd9:
      return 2;
    case 0xc5:
    case 0xc8:
    case 0xcd:
    case 0xd1:
    case 0xda:
    case 0xdc:
    case 0xde:
      return 3;
    case 0xc6:
    case 0xc9:
    case 0xca:
    case 0xce:
    case 0xd2:
    case 0xdb:
    case 0xdd:
    case 0xdf:
      return 5;
    case 0xcb:
    case 0xcf:
    case 0xd3:
      return 9;
    case 0xc1:
      throw new Error('unknown msgpack type 0xc1');
    default:
      return 1;
  }
}

/** The unsigned big-endian length in header bytes 1…size-1. */
function lengthOf(header: ArrayLike<number>, at: number, size: number): number {
  let length = 0;
  for (let i = 1; i < size; i++) length = length * 256 + (header[at + i] as number);
  return length;
}

/** What a header adds: values nested in it, and payload bytes after it. */
function effect(header: ArrayLike<number>, at: number): { children: number; payload: number } {
  const type = header[at] as number;
  if (type < 0x80 || type >= 0xe0) return { children: 0, payload: 0 };
  if (type < 0x90) return { children: 2 * (type & 0x0f), payload: 0 };
  if (type < 0xa0) return { children: type & 0x0f, payload: 0 };
  if (type < 0xc0) return { children: 0, payload: type & 0x1f };
  const size = headerSize(type);
  switch (type) {
    case 0xc4:
    case 0xc5:
    case 0xc6:
    case 0xd9:
    case 0xda:
    case 0xdb:
      return { children: 0, payload: lengthOf(header, at, size) };
    case 0xc7:
    case 0xc8:
    case 0xc9:
      // The ext type byte follows the length.
      return { children: 0, payload: lengthOf(header, at, size) + 1 };
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      return { children: 0, payload: 1 + (1 << (type - 0xd4)) };
    case 0xdc:
    case 0xdd:
      return { children: lengthOf(header, at, size), payload: 0 };
    case 0xde:
    case 0xdf:
      return { children: 2 * lengthOf(header, at, size), payload: 0 };
    default:
      return { children: 0, payload: 0 };
  }
}

/** Whether a header byte starts an extension (its type byte is then the first byte of its payload). */
function isExtension(type: number): boolean {
  return (type >= 0xc7 && type <= 0xc9) || (type >= 0xd4 && type <= 0xd8);
}

/**
 * Where the one value starting at `at` ends, in `bytes` that hold all of it up to `end` (throws
 * when they end first). Each extension met on the way is handed to `onExtension`, its type and
 * its data, so a caller can tell what it holds without decoding it.
 */
export function valueEnd(bytes: Uint8Array, at: number, end: number, onExtension?: (type: number, data: Uint8Array) => void): number {
  let pos = at;
  for (let pending = 1; pending > 0; pending--) {
    const type = bytes[pos];
    if (type === undefined || pos >= end) throw new RangeError('msgpack value is incomplete');
    const size = headerSize(type);
    if (pos + size > end) throw new RangeError('msgpack value is incomplete');
    const { children, payload } = effect(bytes, pos);
    pos += size;
    if (pos + payload > end) throw new RangeError('msgpack value is incomplete');
    if (onExtension && isExtension(type)) onExtension(((bytes[pos] as number) << 24) >> 24, bytes.subarray(pos + 1, pos + payload));
    pending += children;
    pos += payload;
  }
  return pos;
}

export class MsgpackExtent {
  /** Values that still have to start before the value is complete. */
  private pending = 1;
  /** Payload bytes still to skip. */
  private skip = 0;
  /** The first bytes of a header that the previous chunk cut off. */
  private partial: number[] = [];

  /**
   * Scan the next chunk of the value: the offset in `chunk` just past its end, or -1 when it goes
   * on in the next chunk. Throws on a byte that starts no msgpack value.
   */
  scan(chunk: Uint8Array): number {
    let pos = 0;
    if (this.partial.length > 0) {
      const size = headerSize(this.partial[0]!);
      const wanted = size - this.partial.length;
      if (chunk.length < wanted) {
        for (const byte of chunk) this.partial.push(byte);
        return -1;
      }
      for (let i = 0; i < wanted; i++) this.partial.push(chunk[i]!);
      pos = wanted;
      const header = this.partial;
      this.partial = [];
      if (this.started(header, 0)) return pos;
    }
    for (;;) {
      if (this.skip > 0) {
        const available = chunk.length - pos;
        if (available < this.skip) {
          this.skip -= available;
          return -1;
        }
        pos += this.skip;
        this.skip = 0;
        if (this.pending === 0) return pos;
      }
      if (pos >= chunk.length) return -1;
      const size = headerSize(chunk[pos]!);
      if (pos + size > chunk.length) {
        for (let i = pos; i < chunk.length; i++) this.partial.push(chunk[i]!);
        return -1;
      }
      const done = this.started(chunk, pos);
      pos += size;
      if (done) return pos;
    }
  }

  /** Account for the value whose header is at `at`; true when that completes the whole value. */
  private started(header: ArrayLike<number>, at: number): boolean {
    const { children, payload } = effect(header, at);
    this.pending += children - 1;
    this.skip = payload;
    return this.pending === 0 && payload === 0;
  }
}
