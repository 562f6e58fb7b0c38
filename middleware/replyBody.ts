/**
 * The body for a rendered reply: one Buffer (with its Content-Length) when the answer fits in a
 * chunk, else a stream the serializer renders a chunk at a time as the client takes them
 * (serializers/chunks.ts). A serializer without `renderChunks` always renders whole.
 */
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DEFAULT_CHUNK_OPTIONS, SMALL_ANSWER_BYTES, isSmall, type ChunkOptions } from '../serializers/chunks.js';
import type { Serializer } from '../serializers/types.js';
import { unpackAll } from '../src/salt/packedValue.js';

/** The next non-empty chunk, giving the event loop a turn for each empty one; undefined at the end. */
async function nextChunk(chunks: Iterator<Uint8Array>): Promise<Uint8Array | undefined> {
  for (;;) {
    const next = chunks.next();
    if (next.done === true) return undefined;
    if (next.value.length > 0) return next.value;
    await nextTurn();
  }
}

/**
 * Pulls one chunk per read, each in a turn of its own (setImmediate) so that other requests are
 * served between chunks; reads come only as the socket drains, so rendering never runs ahead of
 * the client by more than the stream's buffer. Destroyed (client gone) it abandons the rendering.
 */
class ChunkStream extends Readable {
  readonly #pending: Uint8Array[];
  readonly #chunks: Iterator<Uint8Array>;

  constructor(pending: Uint8Array[], chunks: Iterator<Uint8Array>) {
    super();
    this.#pending = pending;
    this.#chunks = chunks;
  }

  override _read(): void {
    const pending = this.#pending.shift();
    if (pending !== undefined) {
      this.push(pending);
      return;
    }
    setImmediate(() => this.#renderNext());
  }

  #renderNext(): void {
    if (this.destroyed) return;
    let next: IteratorResult<Uint8Array>;
    try {
      next = this.#chunks.next();
    } catch (error) {
      // The contract says this cannot happen once bytes were sent; if it does, the response is cut short.
      this.destroy(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (next.done === true) this.push(null);
    else if (next.value.length === 0) setImmediate(() => this.#renderNext());
    else this.push(next.value);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    try {
      this.#chunks.return?.();
    } finally {
      callback(error);
    }
  }
}

/**
 * Render `reply` with `serializer` (its packed minion returns decoded first, unless the serializer
 * renders them itself). Whatever the serializer throws before its first chunk is thrown here,
 * before any byte or status is sent.
 */
export async function renderReply(serializer: Serializer, reply: unknown, options: ChunkOptions = DEFAULT_CHUNK_OPTIONS): Promise<string | Buffer | Readable> {
  const value = serializer.rendersPacked === true ? reply : unpackAll(reply);
  // A small answer fits in one chunk: rendered whole, it goes out the same, without the iterator.
  if (serializer.renderChunks === undefined || (serializer.render !== undefined && options.chunkSize >= SMALL_ANSWER_BYTES && isSmall(value))) {
    if (serializer.render === undefined) throw new TypeError(`serializer ${serializer.name} cannot render`);
    return serializer.render(value);
  }
  const chunks = serializer.renderChunks(value, options)[Symbol.iterator]();
  try {
    const first = await nextChunk(chunks);
    if (first === undefined) return Buffer.alloc(0);
    const second = await nextChunk(chunks);
    if (second === undefined) return Buffer.from(first.buffer, first.byteOffset, first.byteLength);
    return new ChunkStream([first, second], chunks);
  } catch (error) {
    chunks.return?.();
    throw error;
  }
}
