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
