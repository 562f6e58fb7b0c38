/**
 * Chunked rendering, the optional streaming side of a {@link Serializer} (serializers/types.ts):
 * a big answer is rendered a piece at a time into the response instead of as one body.
 *
 * The contract of `renderChunks(value, options)`:
 * - it yields the same bytes, in order, as `render(value)` would;
 * - anything it throws before its first non-empty chunk becomes the error answer; after that the
 *   status line is gone, so it must check beforehand whatever could fail (the error would only
 *   cut the response short);
 * - an empty chunk gives the event loop a turn (a long check or preparation done in slices);
 * - chunks are not touched again once yielded; the iterator may be abandoned (`return()`) at any
 *   yield when the client goes away.
 */

import { PackedValue } from '../src/salt/packedValue.js';

export interface ChunkOptions {
  /** Bytes to gather before handing a chunk out (the last one may be smaller, one member may make it larger). */
  readonly chunkSize: number;
  /** Nodes a preparation pass visits between empty chunks. */
  readonly sliceNodes: number;
}

/**
 * Answers up to one chunk go out whole (with a Content-Length); a chunk is 256 KiB, a few
 * milliseconds of rendering, so other requests get a turn that often.
 */
export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { chunkSize: 256 * 1024, sliceNodes: 20_000 };

/**
 * Containers less deep than this are rendered member by member, deeper ones in one piece: an
 * answer's minions are the members of depth 2 (`{"return": [{minion: …}]}`), their maps (grains)
 * at depth 3 are split by member too, and so is `/jobs/<jid>`'s `info[0].Result` (depth 3). One
 * member of a minion's map (one grain, one state's result) is the smallest piece: a chunk may
 * exceed `chunkSize` by that much.
 */
export const STREAM_DEPTH = 4;

/**
 * The most our serializers write for a value {@link isSmall} lets through: up to 4,096 units of
 * text at 6 bytes each (`\u00xx` escapes), 256 values at 64 bytes of punctuation, tags and
 * indentation each (YAML's 2 spaces per level, 16 levels deep).
 */
export const SMALL_ANSWER_BYTES = 64 * 1024;
const SMALL_NODES = 256;
const SMALL_DEPTH = 16;
const SMALL_TEXT = 4096;

/**
 * Whether `value` is small: at most {@link SMALL_NODES} values, {@link SMALL_DEPTH} deep, with
 * {@link SMALL_TEXT} units of text, keys and bytes in all, and nothing still packed (whose size is
 * unknown until decoded). Nearly every answer is, and rendering it whole skips the chunk iterator,
 * its generators and its turns (about 2 µs of a login's answer).
 */
export function isSmall(value: unknown): boolean {
  const nodes: unknown[] = [value];
  const depths: number[] = [0];
  let count = 0;
  let text = 0;
  while (nodes.length > 0) {
    const node = nodes.pop();
    const depth = depths.pop()!;
    if (++count > SMALL_NODES || depth > SMALL_DEPTH) return false;
    if (typeof node === 'string') text += node.length;
    else if (typeof node !== 'object' || node === null) continue;
    else if (node instanceof Uint8Array) text += node.length;
    else if (node instanceof PackedValue) return false;
    else if (Array.isArray(node)) {
      for (const item of node) {
        nodes.push(item);
        depths.push(depth + 1);
      }
    } else if (node instanceof Map) {
      for (const [key, item] of node) {
        nodes.push(key, item);
        depths.push(depth + 1, depth + 1);
      }
    } else {
      for (const key of Object.keys(node)) {
        text += key.length;
        nodes.push((node as Record<string, unknown>)[key]);
        depths.push(depth + 1);
      }
    }
    if (text > SMALL_TEXT) return false;
  }
  return true;
}
