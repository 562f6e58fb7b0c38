/**
 * A serializer is one wire format: the media types it answers to, how it reads a request body
 * and/or how it renders a response. The registry (registry.ts) is keyed by media type, like
 * fastify's content-type parser, and each format may carry its own body limit.
 */

import type { ChunkOptions } from './chunks.js';

export type { ChunkOptions } from './chunks.js';

export interface ParseOptions {
  /** Maximum nesting depth of arrays/objects accepted in a body. */
  maxDepth: number;
}

export interface Serializer {
  /** Short name used in logs and docs, e.g. `json`. */
  readonly name: string;
  /** Media types (lowercase, no parameters) this format parses and/or renders; the first is the canonical one. */
  readonly mediaTypes: readonly string[];
  /** Upper bound for bodies of this format in bytes; the effective limit is the smaller of this and `max_request_body_size`. */
  readonly bodyLimit?: number;
  /** Turn a request body (already checked to be valid UTF-8) into data; throw an ApiError (400) on bad input. */
  parse?(text: string, options: ParseOptions): unknown;
  /** For a binary format (msgpack, CBOR…): turn the body's bytes into data, instead of `parse`. */
  parseBytes?(bytes: Buffer, options: ParseOptions): unknown;
  /** Render a response value. */
  render?(value: unknown): string | Buffer;
  /**
   * Optional, beside `render`: the same bytes as a series of chunks, so that a big answer is
   * streamed instead of built whole (contract in serializers/chunks.ts). Without it every answer
   * is rendered by `render`.
   */
  renderChunks?(value: unknown, options: ChunkOptions): Iterable<Uint8Array>;
  /**
   * Whether `render` and `renderChunks` take the packed minion returns a big job's answer holds
   * (src/salt/packedValue.ts) as they are, decoding each as they write it. Without it, they get
   * the value with every packed member decoded first.
   */
  readonly rendersPacked?: boolean;
  /** The exact Content-Type header sent with rendered output (defaults to the first media type). */
  readonly contentType?: string;
}
