/**
 * Log lines as bytes, encoded the moment they are logged. A line kept as a string until its batch
 * is written (up to 50 ms later under load) outlives a young-generation collection or two and is
 * copied each time, then flattened and encoded all at once: under load that cost more than
 * building the line. Encoded at once, the string dies young and the bytes sit outside the heap.
 */

/** Room taken at a time beyond the first chunk; a longer line gets a chunk of its own size. */
export const CHUNK_BYTES = 64 * 1024;
/** UTF-8 takes at most three bytes per UTF-16 code unit. */
const MAX_BYTES_PER_UNIT = 3;

export class LineBuffer {
  private readonly full: Buffer[] = [];
  private chunk: Buffer | undefined;
  private used = 0;
  private total = 0;

  /**
   * `first`: the room to fill first, typically one whose lines were written already (see
   * Sink): reused memory is warm and mapped, where fresh room costs page faults under load.
   */
  constructor(readonly first?: Buffer) {
    this.chunk = first;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.total;
  }

  /** Whether the lines outgrew the first chunk (take() then copies them together). */
  get overflowed(): boolean {
    return this.full.length > 0;
  }

  /** Adds `text`; returns the bytes it took. */
  append(text: string): number {
    const room = text.length * MAX_BYTES_PER_UNIT;
    if (!this.chunk || this.chunk.length - this.used < room) {
      if (this.chunk) this.full.push(this.chunk.subarray(0, this.used));
      this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, room));
      this.used = 0;
    }
    const written = this.chunk.write(text, this.used, 'utf8');
    this.used += written;
    this.total += written;
    return written;
  }

  /** Everything appended, as one buffer; the line buffer is then spent. */
  take(): Buffer {
    const last = this.chunk?.subarray(0, this.used) ?? Buffer.alloc(0);
    return this.full.length === 0 ? last : Buffer.concat([...this.full, last], this.total);
  }
}
