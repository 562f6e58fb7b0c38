/**
 * The metrics bench: what `GET /metrics` costs. Each observation on the request path is timed in
 * this process; then a sandbox master and one API process (each in its own process) take a few
 * thousand mixed requests, and the scrape that follows is timed and measured.
 *
 *   node dist/bench/metrics.js
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Metrics } from '../src/metrics/registry.js';
import { ProcessGroup } from './children.js';
import { percentile } from './load.js';
import { describeMachine } from './machine.js';
import { login } from './probe.js';
import { startApi, startSandbox } from './servers.js';

const OBSERVATIONS = 1_000_000;
const WARMUP_OBSERVATIONS = 200_000;
const REQUESTS = 4000;
const CONCURRENCY = 16;
const SCRAPES = 50;

export interface MetricsBenchResult {
  machine: string;
  /** Nanoseconds per call of each observation a request may make. */
  observeNs: { name: string; ns: number }[];
  requests: number;
  scrape: { p50Ms: number; p99Ms: number; bytes: number; series: number };
}

/** What one request costs the metrics, call by call, without any I/O around it. */
function timeObservations(): { name: string; ns: number }[] {
  const metrics = new Metrics({ eauthBackends: ['auto', 'pam'] });
  const calls: [string, () => void][] = [
    ['HTTP request (count + histogram)', () => metrics.request('/', 'POST', 200, 0.0012)],
    ['master round trip (count + histogram)', () => metrics.roundTrip('publish', 'ok', 0.0004)],
    ['token cache lookup', () => metrics.cacheLookup('session', true)],
    ['netapi job', () => metrics.job('local_async', 'ok')],
  ];
  return calls.map(([name, call]) => {
    for (let i = 0; i < WARMUP_OBSERVATIONS; i++) call();
    const started = process.hrtime.bigint();
    for (let i = 0; i < OBSERVATIONS; i++) call();
    return { name, ns: Number(process.hrtime.bigint() - started) / OBSERVATIONS };
  });
}

/** A mix of what clients ask: routes with parameters, jobs, refused and unknown paths. */
function mixedRequest(i: number, token: string): [string, RequestInit] {
  const auth = { 'X-Auth-Token': token, Accept: 'application/json' };
  switch (i % 5) {
    case 0:
      return ['/', { headers: auth }];
    case 1:
      return ['/', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify([{ client: 'local_async', tgt: '*', fun: 'test.ping' }]) }];
    case 2:
      return [`/minions/minion-${(i % 2) + 1}`, { headers: auth }];
    case 3:
      return [`/jobs/2026010100000000${String(i).padStart(4, '0')}`, { headers: auth }];
    default:
      return [`/no/such/path/${i}`, { headers: auth }];
  }
}

async function sendMixed(url: string, token: string): Promise<void> {
  let next = 0;
  const client = async (): Promise<void> => {
    while (next < REQUESTS) {
      const [path, init] = mixedRequest(next++, token);
      const response = await fetch(new URL(path, url), init);
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
}

export async function benchMetrics(): Promise<MetricsBenchResult> {
  const observeNs = timeObservations();
  const group = new ProcessGroup();
  const configDir = await mkdtemp(join(tmpdir(), 'salt-api-koa-metrics-bench-'));
  try {
    await startSandbox(group, configDir, 2);
    const api = await startApi(group, configDir);
    const token = await login(api.url);
    await sendMixed(api.url, token);
    const times = new Float64Array(SCRAPES);
    let text = '';
    for (let i = 0; i < SCRAPES; i++) {
      const started = performance.now();
      const response = await fetch(new URL('/metrics', api.url), { headers: { 'X-Auth-Token': token } });
      text = await response.text();
      times[i] = performance.now() - started;
      if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}: ${text}`);
    }
    times.sort();
    const series = text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
    return {
      machine: describeMachine(),
      observeNs,
      requests: REQUESTS,
      scrape: { p50Ms: percentile(times, 0.5), p99Ms: percentile(times, 0.99), bytes: Buffer.byteLength(text), series },
    };
  } finally {
    await group.stopAll();
    await rm(configDir, { recursive: true, force: true });
  }
}

export function formatMetricsBench(result: MetricsBenchResult): string {
  const lines = ['Metrics (GET /metrics)', '', 'cost of one observation (in-process):'];
  for (const { name, ns } of result.observeNs) lines.push(`  ${name.padEnd(40)} ${ns.toFixed(0).padStart(6)} ns`);
  const { scrape } = result;
  lines.push(
    '',
    `scrape after ${result.requests} mixed requests: p50 ${scrape.p50Ms.toFixed(2)} ms, p99 ${scrape.p99Ms.toFixed(2)} ms, ` +
      `${(scrape.bytes / 1024).toFixed(1)} KiB, ${scrape.series} samples`,
  );
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchMetrics();
  console.log(`${result.machine}\n\n${formatMetricsBench(result)}`);
}
