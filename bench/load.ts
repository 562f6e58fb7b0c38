/** Load runs with autocannon against one URL, and the figures the report prints for a set of them. */
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  /** Seconds. */
  duration: number;
}

/** What one run saw. */
export interface LoadRun {
  /** Responses received. */
  requests: number;
  /** Seconds the run lasted. */
  seconds: number;
  /** Every response's time in ms. */
  latencies: number[];
  /** Errors, timeouts and non-2xx answers. */
  failures: number;
}

export interface LoadFigures {
  /** Responses received. */
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Errors, timeouts and non-2xx answers: any of these makes the figures meaningless. */
  failures: number;
}

/** The value below which `fraction` of the sorted samples lie (nearest rank). */
export function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

export async function runLoad(spec: LoadSpec): Promise<LoadRun> {
  const instance = autocannon({
    url: spec.url,
    method: spec.method,
    headers: spec.headers,
    body: spec.body,
    connections: spec.connections,
    duration: spec.duration,
  });
  // autocannon's own latency histogram counts whole milliseconds, which flattens the sub-millisecond
  // answers of GET / to 0 or 1; every response's exact time is kept here instead.
  const latencies: number[] = [];
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await instance;
  return { requests: result.requests.total, seconds: result.duration, latencies, failures: result.errors + result.timeouts + result.non2xx };
}

/** The figures of several runs taken as one: requests over their total time, percentiles over all responses. */
export function figuresOf(runs: readonly LoadRun[]): LoadFigures {
  const requests = runs.reduce((sum, run) => sum + run.requests, 0);
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
  const sorted = Float64Array.from(runs.flatMap((run) => run.latencies)).sort();
  return {
    requests,
    requestsPerSecond: requests / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    failures: runs.reduce((sum, run) => sum + run.failures, 0),
  };
}
