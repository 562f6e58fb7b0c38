/**
 * The two framings of Salt's event-bus sockets (salt-versions.md §2): a frame is the msgpack map
 * `{head, body}` as it is ("plain": 3006.0–3006.25, 3007, 3008.0–3008.1), or the same bytes behind a
 * 4-byte big-endian length ("prefixed": both sockets of 3006.26+, the pull socket of 3008.2).
 *
 * Reading decides per frame: a plain frame starts with a msgpack map byte and a prefixed one with
 * its length's high byte, which is 0 for any frame under 16 MiB. Writing cannot decide: the pull
 * socket never answers, so the writer is told which framing to use (see pullFraming.ts).
 */
import { decodeOne } from './codec.js';

export type BusFraming = 'plain' | 'prefixed';

/** A length above this cannot be a frame of a bus in either framing: the stream is not a Salt bus. */
const MAX_PREFIXED_LENGTH = 0x7fff_ffff;

export class BusFramingError extends Error {}

/** The bytes to write for one encoded `{head, body}` frame in the given framing. */
export function frameFor(frame: Buffer, framing: BusFraming): Buffer {
  if (framing === 'plain') return frame;
  const out = Buffer.allocUnsafe(4 + frame.length);
  out.writeUInt32BE(frame.length, 0);
  frame.copy(out, 4);
  return out;
}

export type FrameHandler = (frame: unknown, framing: BusFraming) => void;

/**
 * Splits a bus byte stream into decoded frames, whichever framing each one has. Feed it chunks as
 * they arrive; it keeps an incomplete tail for the next chunk. Throws {@link BusFramingError} or a
 * msgpack error on bytes that are no frame at all: such a stream cannot be resynchronised.
 */
export class BusFrameReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: FrameHandler) {}

  /** Bytes of an incomplete frame held for the next chunk. */
  get pendingBytes(): number {
    return this.pending.length;
  }

  push(chunk: Buffer): void {
    const bytes = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let pos = 0;
    while (pos < bytes.length) {
      const used = bytes[pos] === 0 ? this.prefixed(bytes, pos) : this.plain(bytes, pos);
      if (used === 0) break;
      pos += used;
    }
    // A copy, so a small tail does not pin a large chunk in memory.
    this.pending = pos === bytes.length ? Buffer.alloc(0) : Buffer.from(bytes.subarray(pos));
  }

  /** Bytes consumed by one prefixed frame at `pos`, or 0 when it is not complete yet. */
  private prefixed(bytes: Buffer, pos: number): number {
    if (bytes.length - pos < 4) return 0;
    const length = bytes.readUInt32BE(pos);
    if (length === 0 || length > MAX_PREFIXED_LENGTH) throw new BusFramingError(`impossible frame length ${length}`);
    if (bytes.length - pos - 4 < length) return 0;
    const decoded = decodeOne(bytes.subarray(pos + 4, pos + 4 + length));
    if (!decoded || decoded.end !== length) throw new BusFramingError('a prefixed frame does not hold exactly one msgpack value');
    this.onFrame(decoded.value, 'prefixed');
    return 4 + length;
  }

  /** Bytes consumed by one plain frame at `pos`, or 0 when it is not complete yet. */
  private plain(bytes: Buffer, pos: number): number {
    const decoded = decodeOne(bytes.subarray(pos));
    if (!decoded) return 0;
    this.onFrame(decoded.value, 'plain');
    return decoded.end;
  }
}
