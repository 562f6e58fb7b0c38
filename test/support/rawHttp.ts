/**
 * Plain node:http requests with exactly the headers given (no client library adding its own
 * Content-Type or Accept), for replaying recorded requests byte for byte.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface RawRequest {
  method: string;
  path: string;
  headers: [string, string][];
  body?: string;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function start(baseUrl: string, req: RawRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(new URL(req.path, baseUrl), { method: req.method });
    for (const [name, value] of req.headers) outgoing.setHeader(name, value);
    if (req.body !== undefined) outgoing.setHeader('Content-Length', Buffer.byteLength(req.body));
    outgoing.on('response', resolve);
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

export async function sendRaw(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const res = await start(baseUrl, req);
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
}

export interface RawStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** Everything received so far. */
  text(): string;
  /** Resolves once `done(text so far)` holds; rejects after `timeoutMs` with what arrived. */
  waitFor(done: (text: string) => boolean, timeoutMs: number): Promise<string>;
  close(): void;
}

/** A response read as it arrives (event streams never end by themselves). */
export async function openRaw(baseUrl: string, req: RawRequest): Promise<RawStream> {
  const res = await start(baseUrl, req);
  let received = '';
  const waiters = new Set<() => void>();
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    received += chunk;
    for (const wake of waiters) wake();
  });
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    text: () => received,
    waitFor(done, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!done(received)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(received);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`stream did not deliver in ${timeoutMs} ms; received:\n${received}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => res.destroy(),
  };
}
