/** One load run with autocannon against one URL, reduced to the figures the report prints. */
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
function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

export async function runLoad(spec: LoadSpec): Promise<LoadFigures> {
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
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    failures: result.errors + result.timeouts + result.non2xx,
  };
}
