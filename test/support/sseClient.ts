/**
 * A Server-Sent Events client for tests: the raw bytes as they arrive, the event blocks parsed
 * (ids included), and control over reading (pause, to play a slow consumer).
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';

export interface SseBlock {
  tag?: string;
  data?: string;
  id?: string;
}

export interface SseClient {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every byte received so far, decoded as UTF-8. */
  text(): string;
  bytes(): Buffer;
  /** The last `bytes` bytes received, decoded (cheap on long streams, unlike text().slice()). */
  tail(bytes: number): string;
  /** The complete event blocks (those with a `data:` line) received so far. */
  events(): SseBlock[];
  /** Resolves once `done(text so far)` holds; rejects after `timeoutMs` with what arrived. */
  waitFor(done: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves with everything received once the server ends the response. */
  ended: Promise<string>;
  pause(): void;
  resume(): void;
  close(): void;
}

/** Complete blocks; comment lines and fields other than tag, data and id are left out. */
function parseBlocks(text: string): SseBlock[] {
  const complete = text.slice(0, Math.max(0, text.lastIndexOf('\n\n')));
  return complete.split(/\n\n/).map((block) => {
    const parsed: SseBlock = {};
    for (const line of block.split('\n')) {
      const colon = line.indexOf(': ');
      const field = line.slice(0, colon);
      if (field === 'tag' || field === 'data' || field === 'id') parsed[field] = line.slice(colon + 2);
    }
    return parsed;
  });
}

export function openSse(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const request = http.get(new URL(path, baseUrl), { headers, agent: false });
    request.on('error', reject);
    request.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      const decoder = new StringDecoder('utf8');
      let received = '';
      const waiters = new Set<() => void>();
      const ended = new Promise<string>((done, fail) => {
        res.on('end', () => done(received));
        res.on('error', fail);
        res.on('aborted', () => fail(new Error(`response aborted; received (tail):\n${received.slice(-500)}`)));
      });
      ended.catch(() => undefined);
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += decoder.write(chunk);
        for (const wake of [...waiters]) wake();
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        text: () => received,
        bytes: () => Buffer.concat(chunks),
        tail(bytes) {
          const recent: Buffer[] = [];
          for (let index = chunks.length - 1, size = 0; index >= 0 && size < bytes; index--) {
            recent.unshift(chunks[index]!);
            size += chunks[index]!.length;
          }
          return Buffer.concat(recent).toString('utf8');
        },
        events: () => parseBlocks(received).filter((block) => block.data !== undefined),
        waitFor(done, timeoutMs = 5000) {
          return new Promise((ok, fail) => {
            const check = (): void => {
              if (!done(received)) return;
              clearTimeout(timer);
              waiters.delete(check);
              ok(received);
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`stream did not deliver in ${timeoutMs} ms; received:\n${received.slice(-2000)}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        ended,
        pause: () => res.pause(),
        resume: () => res.resume(),
        close: () => request.destroy(),
      });
    });
  });
}
