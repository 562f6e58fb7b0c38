/**
 * The two framings of Salt's event-bus sockets (salt-versions.md §2): a frame is the msgpack map
 * `{head, body}` as it is ("plain": 3006.0–3006.25, 3007, 3008.0–3008.1), or the same bytes behind a
 * 4-byte big-endian length ("prefixed": both sockets of 3006.26+, the pull socket of 3008.2).
 *
 * Reading decides per frame: a plain frame starts with a msgpack map byte (0x80 and up) and a
 * prefixed one with its length's high byte, below 0x80 for any frame under 2 GiB (0 under 16 MiB;
 * a /jobs/<jid> of a big fleet can pass that). Writing cannot decide: the pull socket never
 * answers, so the writer is told which framing to use (see pullFraming.ts).
 */
import { decodeOne } from './codec.js';
import { MsgpackExtent } from './msgpackExtent.js';

export type BusFraming = 'plain' | 'prefixed';

/** Whether a frame starting with `byte` is prefixed: no msgpack map starts below 0x80. */
const isPrefixed = (byte: number | undefined) => byte !== undefined && byte < 0x80;

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

/** The frame being gathered across chunks: its framing, and how its end is found. */
type Partial =
  | { framing: 'prefixed'; total: number }
  | { framing: 'plain'; extent: MsgpackExtent }
  /** A prefixed frame whose 4-byte length has not fully arrived. */
  | { framing: 'prefix' };

/**
 * Splits a bus byte stream into decoded frames, whichever framing each one has. Feed it chunks as
 * they arrive. Frames within a chunk are decoded in place; a frame that runs past its chunk is
 * gathered: its chunks are kept as they are, its end found as they arrive (from the length prefix,
 * or by scanning the msgpack headers), and it is joined and decoded once. A frame of tens of
 * megabytes so costs a few passes over its bytes however many chunks it comes in, and memory for
 * its bytes plus one joined copy. Throws {@link BusFramingError} or a msgpack error on bytes that
 * are no frame at all: such a stream cannot be resynchronised.
 */
export class BusFrameReader {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private partial?: Partial;

  constructor(private readonly onFrame: FrameHandler) {}

  /** Bytes of an incomplete frame held for the next chunk. */
  get pendingBytes(): number {
    return this.partBytes;
  }

  push(chunk: Buffer): void {
    const partial = this.partial;
    if (partial === undefined) {
      this.readFrames(chunk);
      return;
    }
    if (partial.framing === 'prefix') {
      // Fewer than 4 bytes are held: joining them with the chunk costs nothing worth saving.
      const bytes = Buffer.concat([...this.parts, chunk]);
      this.reset();
      this.readFrames(bytes);
      return;
    }
    // Where in this chunk the gathered frame ends: -1 or past the chunk when it goes on.
    const end = partial.framing === 'prefixed' ? partial.total - this.partBytes : partial.extent.scan(chunk);
    if (end < 0 || end > chunk.length) {
      this.hold(chunk);
      return;
    }
    this.parts.push(chunk.subarray(0, end));
    const frame = Buffer.concat(this.parts, this.partBytes + end);
    this.reset();
    const used = isPrefixed(frame[0]) ? this.prefixed(frame, 0) : this.plain(frame, 0);
    if (used !== frame.length) throw new BusFramingError('a gathered frame did not decode as exactly one frame');
    if (end < chunk.length) this.readFrames(chunk.subarray(end));
  }

  /** Decode the frames of `bytes` in place; an incomplete last frame starts being gathered. */
  private readFrames(bytes: Buffer): void {
    let pos = 0;
    while (pos < bytes.length) {
      const used = isPrefixed(bytes[pos]) ? this.prefixed(bytes, pos) : this.plain(bytes, pos);
      if (used === 0) break;
      pos += used;
    }
    if (pos < bytes.length) this.gather(bytes.subarray(pos));
  }

  /** Start gathering a frame from its first bytes (copied, so a small tail does not pin a large chunk). */
  private gather(head: Buffer): void {
    const bytes = Buffer.from(head);
    if (!isPrefixed(bytes[0])) {
      const extent = new MsgpackExtent();
      if (extent.scan(bytes) >= 0) throw new BusFramingError('a frame was both complete and incomplete');
      this.partial = { framing: 'plain', extent };
    } else if (bytes.length < 4) {
      this.partial = { framing: 'prefix' };
    } else {
      this.partial = { framing: 'prefixed', total: 4 + bytes.readUInt32BE(0) };
    }
    this.hold(bytes);
  }

  private hold(bytes: Buffer): void {
    this.parts.push(bytes);
    this.partBytes += bytes.length;
  }

  private reset(): void {
    this.parts = [];
    this.partBytes = 0;
    this.partial = undefined;
  }

  /** Bytes consumed by one prefixed frame at `pos`, or 0 when it is not complete yet. */
  private prefixed(bytes: Buffer, pos: number): number {
    if (bytes.length - pos < 4) return 0;
    const length = bytes.readUInt32BE(pos);
    if (length === 0) throw new BusFramingError(`impossible frame length ${length}`);
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
