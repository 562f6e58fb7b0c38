/**
 * Reading the rest of an oversized body, unparsed, before its 413 goes out. An answer that closes
 * the connection while the client is still sending makes the kernel reset it (unread data on a
 * closed socket): the client's writes fail with EPIPE/ECONNRESET and it may never read the 413.
 * Behind nginx it is worse: nginx gets a broken pipe while forwarding the body and answers 502.
 * So the rest of the body is read and thrown away first, within bounds, since a client that
 * declares gigabytes or sends forever must not hold the connection: a declared length past the
 * byte budget is not read at all, and reading stops when either budget runs out (the 413 then
 * goes out at once, and the connection is closed as before).
 */
import type { IncomingMessage } from 'node:http';

/** Never read more than this of a refused body, whatever max_request_body_size says. */
const MAX_DISCARD_BYTES = 64 * 1024 * 1024;
/** Always read this much, even for a tiny max_request_body_size. */
const MIN_DISCARD_BYTES = 1024 * 1024;
/** How long a client may take to finish sending a refused body. */
const MAX_DISCARD_MS = 5000;

export interface DiscardLimits {
  maxBytes: number;
  maxMs: number;
}

/** The budget for a body refused under `bodyLimit`: 16 times the limit, between 1 and 64 MiB, and 5 seconds. */
export function discardLimits(bodyLimit: number): DiscardLimits {
  return { maxBytes: Math.min(MAX_DISCARD_BYTES, Math.max(MIN_DISCARD_BYTES, 16 * bodyLimit)), maxMs: MAX_DISCARD_MS };
}

/**
 * Read what is left of `req`'s body and throw it away. Resolves true once it has all been read
 * (the connection can then close cleanly), false when it is over budget or the client went away.
 */
export function discardBody(req: IncomingMessage, limits: DiscardLimits): Promise<boolean> {
  if (req.complete) return Promise.resolve(true);
  if (req.destroyed) return Promise.resolve(false);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes) return Promise.resolve(false);
  return new Promise((resolve) => {
    let read = 0;
    const finish = (complete: boolean): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onGone);
      req.off('error', onGone);
      if (!complete) req.pause();
      resolve(complete);
    };
    const onData = (chunk: Buffer): void => {
      read += chunk.length;
      if (read > limits.maxBytes) finish(false);
    };
    const onEnd = (): void => finish(true);
    const onGone = (): void => finish(false);
    const timer = setTimeout(() => finish(false), limits.maxMs);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onGone);
    req.once('error', onGone);
    req.resume();
  });
}
