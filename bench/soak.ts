/**
 * The soak bench (`--soak MINUTES`): mixed traffic from a crowd of keep-alive clients plus one
 * open event stream against one API process for the given time, with RSS, event-loop delay and
 * latency sampled at the start, the middle and the end. A leak shows as RSS that keeps growing,
 * a slowdown as delay or latency that does.
 */
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessGroup } from './children.js';
import { describeMachine } from './machine.js';
import { login } from './probe.js';
import { startProbedApi, type LoopSample } from './probedApi.js';
import { startSandbox } from './servers.js';
import { KINDS, Tally, sendRequest, succeeded, type Latencies } from './traffic.js';
import { MINIONS } from './workload.js';

export interface SoakOptions {
  minutes: number;
  /** Concurrent keep-alive clients (default 16). */
  clients?: number;
}

export interface SoakSample {
  label: 'start' | 'middle' | 'end';
  /** Seconds since the traffic started. */
  at: number;
  /** Requests answered since the previous sample, and how many of them failed. */
  requests: number;
  failures: number;
  latencyMs: Latencies;
  /** Event-loop delay since the previous sample, and RSS at this one. */
  loop: LoopSample;
}

export interface SoakResult {
  machine: string;
  minutes: number;
  clients: number;
  samples: SoakSample[];
  tally: string;
  /** Bytes the event-stream client read, and whether its stream was still open at the end. */
  stream: { bytes: number; open: boolean };
}

/** What the clients saw between two samples: a histogram, not every outcome, however long the soak. */
class Window {
  requests = 0;
  failures = 0;
  /** Microseconds per request. */
  private readonly histogram: RecordableHistogram = createHistogram();

  add(ms: number, ok: boolean): void {
    this.requests++;
    if (!ok) this.failures++;
    this.histogram.record(Math.max(1, Math.round(ms * 1000)));
  }

  latencyMs(): Latencies {
    const at = (percentile: number) => this.histogram.percentile(percentile) / 1000;
    return { p50: at(50), p99: at(99), max: this.histogram.max / 1000 };
  }
}

/** A client that reads `/events` for the whole soak, as a dashboard would. */
function followEvents(url: string, token: string): { bytes(): number; open(): boolean; close(): void } {
  let bytes = 0;
  let open = true;
  const request = http.get(new URL(`/events?token=${token}`, url), { agent: false }, (res) => {
    res.on('data', (chunk: Buffer) => (bytes += chunk.length));
    res.on('close', () => (open = false));
  });
  request.on('error', () => (open = false));
  return { bytes: () => bytes, open: () => open, close: () => request.destroy() };
}

export async function benchSoak(options: SoakOptions): Promise<SoakResult> {
  const clients = options.clients ?? 16;
  const durationMs = options.minutes * 60_000;
  // The first window is short, so "start" shows the fresh process; the others split the rest.
  const marks: [SoakSample['label'], number][] = [
    ['start', Math.min(10_000, durationMs / 10)],
    ['middle', durationMs / 2],
    ['end', durationMs],
  ];
  const group = new ProcessGroup();
  const configDir = await mkdtemp(join(tmpdir(), 'salt-api-koa-soak-'));
  try {
    await startSandbox(group, configDir, MINIONS);
    const api = await startProbedApi(group, configDir);
    const token = await login(api.url);
    const stream = followEvents(api.url, token);
    let window = new Window();
    const answers = new Tally();
    let running = true;
    const crowd = Array.from({ length: clients }, async (_, client) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = client; running; i++) {
        const outcome = await sendRequest(api.url, KINDS[i % KINDS.length]!, token, agent);
        window.add(outcome.ms, succeeded(outcome));
        answers.add(outcome);
      }
      agent.destroy();
    });

    await api.sample();
    const started = performance.now();
    const samples: SoakSample[] = [];
    for (const [label, at] of marks) {
      await sleep(Math.max(0, at - (performance.now() - started)));
      const taken = window;
      window = new Window();
      samples.push({
        label,
        at: (performance.now() - started) / 1000,
        requests: taken.requests,
        failures: taken.failures,
        latencyMs: taken.latencyMs(),
        loop: await api.sample(),
      });
    }
    running = false;
    await Promise.all(crowd);
    const result = { bytes: stream.bytes(), open: stream.open() };
    stream.close();
    return { machine: describeMachine(), minutes: options.minutes, clients, samples, tally: answers.toString(), stream: result };
  } finally {
    await group.stopAll();
    await rm(configDir, { recursive: true, force: true });
  }
}

export function formatSoak(result: SoakResult): string {
  const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 0)} ms`;
  return [
    `soak: ${result.minutes} min of mixed traffic (${KINDS.join(', ')}) from ${result.clients} keep-alive clients, one /events stream`,
    `  machine: ${result.machine}`,
    ...result.samples.map(
      (s) =>
        `  ${s.label.padEnd(6)} at ${s.at.toFixed(0).padStart(5)} s: RSS ${s.loop.rssMiB.toFixed(1)} MiB; event-loop delay p50 ${ms(s.loop.p50Ms)}, p99 ${ms(s.loop.p99Ms)}, max ${ms(s.loop.maxMs)}; ` +
        `${s.requests} requests (${s.failures} failed), latency p50 ${ms(s.latencyMs.p50)}, p99 ${ms(s.latencyMs.p99)}`,
    ),
    `  answers: ${result.tally}`,
    `  event stream: ${Math.round(result.stream.bytes / 1024)} KiB read, ${result.stream.open ? 'still open' : 'CLOSED'} at the end`,
  ].join('\n');
}
