/**
 * Mixed API traffic for the hardening and soak benches: the kinds of request a busy API gets, each
 * sent with node:http so that every failure (refused, reset, timed out) is seen and counted.
 */
import http from 'node:http';
import { percentile } from './load.js';
import { post, type HttpRequest } from './scenarios.js';
import { CREDENTIALS, TEST_PING } from './workload.js';

export const KINDS = ['root', 'login', 'local_async', 'local', 'runner', 'wheel', 'minion', 'hook'] as const;
export type Kind = (typeof KINDS)[number];

/** A request refused or cut, or not answered within this long, is an error. */
const REQUEST_TIMEOUT_MS = 30_000;

export function requestOf(kind: Kind, token: string): HttpRequest {
  switch (kind) {
    case 'root':
      return { method: 'GET', path: '/', headers: { Accept: 'application/json' } };
    case 'login':
      return post('/login', CREDENTIALS);
    case 'local_async':
      return post('/', [{ client: 'local_async', ...TEST_PING }], token);
    case 'local':
      return post('/', [{ client: 'local', ...TEST_PING }], token);
    case 'runner':
      return post('/', [{ client: 'runner', fun: 'test.arg', arg: ['soak'], kwarg: { n: 1 } }], token);
    case 'wheel':
      return post('/', [{ client: 'wheel', fun: 'key.list_all' }], token);
    case 'minion':
      return { method: 'GET', path: '/minions/minion-1', headers: { Accept: 'application/json', 'X-Auth-Token': token } };
    case 'hook':
      return post('/hook/bench/soak', { build: 'ok' }, token);
  }
}

export interface Outcome {
  kind: Kind;
  /** 0 when there was no answer at all. */
  status: number;
  ms: number;
  /** Why there was no answer (ECONNREFUSED, ECONNRESET, timeout …). */
  error?: string;
}

/** One request; `agent: false` opens a connection of its own, as a crowd of separate clients would. */
export function sendRequest(baseUrl: string, kind: Kind, token: string, agent: http.Agent | false): Promise<Outcome> {
  const request = requestOf(kind, token);
  const started = performance.now();
  return new Promise((resolve) => {
    const done = (status: number, error?: string) => resolve({ kind, status, ms: performance.now() - started, error });
    const outgoing = http.request(new URL(request.path, baseUrl), { method: request.method, headers: request.headers, agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
      res.on('error', (error: NodeJS.ErrnoException) => done(0, error.code ?? error.message));
    });
    outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    outgoing.on('error', (error: NodeJS.ErrnoException) => done(0, error.code ?? error.message));
    outgoing.end(request.body);
  });
}

export interface Latencies {
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of the samples, in their unit. */
export function latencies(samples: readonly number[]): Latencies {
  const sorted = Float64Array.from(samples).sort();
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: percentile(sorted, 1) };
}

/** Status codes (or error names) and how often each came, printed as `200 ×812, 202 ×188`. */
export class Tally {
  private readonly counts = new Map<string, number>();

  add(outcome: Outcome): void {
    const key = outcome.error ?? String(outcome.status);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  toString(): string {
    return [...this.counts].sort(([a], [b]) => a.localeCompare(b)).map(([key, count]) => `${key} ×${count}`).join(', ');
  }
}

export function tally(outcomes: readonly Outcome[]): string {
  const counts = new Tally();
  outcomes.forEach((outcome) => counts.add(outcome));
  return counts.toString();
}

/** Answered with a success status: what every request of the bench must end in. */
export const succeeded = (outcome: Outcome): boolean => outcome.status >= 200 && outcome.status < 300;
