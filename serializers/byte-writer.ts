/**
 * A growable byte buffer the renderers write UTF-8 into directly, so an answer is never built as
 * one big string (whose concatenation pieces the garbage collector has to chase, and whose UTF-8
 * length Koa would have to compute again). ASCII, the bulk of Salt's data, is written a byte per
 * character without an encoder call; longer or non-ASCII text goes through Buffer's native UTF-8
 * encoder (lone surrogates become U+FFFD, as they did when Koa encoded a string body).
 *
 * `buf` and `pos` are open to the renderers' inner loops, which write bytes themselves after an
 * {@link ByteWriter.ensure} call.
 */

/** Below this length a JavaScript loop beats the native encoder's call overhead. */
const SHORT_TEXT = 48;
/** A UTF-16 unit never takes more than 3 bytes of UTF-8 (a surrogate pair: 4 bytes for 2 units). */
const MAX_BYTES_PER_UNIT = 3;

export class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Room for `n` more bytes at `pos`. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    if (this.pos === this.buf.length) this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Text known to be ASCII (numbers, indicators, separators). */
  ascii(text: string): void {
    const length = text.length;
    this.ensure(length);
    if (length < SHORT_TEXT) {
      const buf = this.buf;
      let pos = this.pos;
      for (let i = 0; i < length; i++) buf[pos++] = text.charCodeAt(i);
      this.pos = pos;
    } else {
      this.pos += this.buf.write(text, this.pos, length, 'latin1');
    }
  }

  /** Any text, as UTF-8. */
  text(text: string): void {
    this.textRange(text, 0, text.length);
  }

  /** `text.slice(start, end)` as UTF-8, without making the slice when it is short ASCII. */
  textRange(text: string, start: number, end: number): void {
    const length = end - start;
    if (length <= 0) return;
    this.ensure(length * MAX_BYTES_PER_UNIT);
    if (length < SHORT_TEXT) {
      const buf = this.buf;
      let pos = this.pos;
      let i = start;
      for (; i < end; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        buf[pos++] = code;
      }
      this.pos = pos;
      if (i === end) return;
      start = i;
    }
    const rest = start === 0 && end === text.length ? text : text.slice(start, end);
    this.pos += this.buf.write(rest, this.pos, 'utf8');
  }

  /** `count` spaces. */
  spaces(count: number): void {
    this.ensure(count);
    const buf = this.buf;
    const end = this.pos + count;
    for (let pos = this.pos; pos < end; pos++) buf[pos] = 0x20;
    this.pos = end;
  }

  /** A copy of what was written since the last take, leaving the writer empty (its buffer is reused). */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    return out;
  }
}

/**
 * Writers between renderings. A buffer of a rendering's own (64 KiB for a chunked one) lives
 * outside V8's heap, and V8 answers every 64 MB of such memory with a full collection: with a
 * fresh buffer per answer, that was a mark-compact every thousand or so requests and a third of
 * the API's CPU time under load. Kept writers make an answer's only allocation the copy it sends.
 */
const idle: ByteWriter[] = [];
/** Writers kept: about as many as renderings in flight at once (chunked ones pause between chunks). */
const MAX_IDLE = 16;
/**
 * A writer's buffer, and the most a kept one may hold: one that grew for a big answer is left to
 * the collector (big answers are rare and costly anyway), so idle writers hold 1 MiB at most.
 */
const WRITER_BYTES = 64 * 1024;

function borrowWriter(): ByteWriter {
  return idle.pop() ?? new ByteWriter(WRITER_BYTES);
}

/** Takes back a writer whose rendering is over (finished, failed or abandoned). */
function releaseWriter(writer: ByteWriter): void {
  writer.pos = 0;
  if (idle.length < MAX_IDLE && writer.buf.length <= WRITER_BYTES) idle.push(writer);
}

/** `render` with a writer of its own, given back however it ends; what it returns must not share the writer's buffer. */
export function withWriter<T>(render: (w: ByteWriter) => T): T {
  const w = borrowWriter();
  try {
    return render(w);
  } finally {
    releaseWriter(w);
  }
}

/** The chunks `render` yields, with a writer of its own until it finishes or is abandoned (`return()`). */
export function* chunksWithWriter(render: (w: ByteWriter) => Generator<Uint8Array, void, undefined>): Generator<Uint8Array, void, undefined> {
  const w = borrowWriter();
  try {
    yield* render(w);
  } finally {
    releaseWriter(w);
  }
}
