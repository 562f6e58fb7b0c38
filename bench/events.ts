/**
 * The event-stream bench: a sandbox master and one API process, each in its own process; many
 * concurrent `GET /events` clients (held by worker threads of this process); a burst of events
 * written straight into the master's event pull socket, as a busy master's job returns arrive.
 * Reports how many of the events reached every client, the time from firing to receipt, and
 * what the clients cost the API process in memory.
 *
 *   node dist/bench/events.js [--clients N] [--events N] [--workers N]
 */
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { dump, load } from 'js-yaml';
import { frameFor } from '../src/salt/busFraming.js';
import { packEventFrame } from '../src/salt/codec.js';
import { eventStamp } from '../src/salt/jid.js';
import { saltRelease } from '../src/salt/releases.js';
import { ProcessGroup, cpuMs, residentMiB } from './children.js';
import type { BenchMessage, ClientsData, ClientsMessage } from './eventsClients.js';
import { percentile } from './load.js';
import { describeMachine } from './machine.js';
import { login } from './probe.js';
import { startApi, startSandbox } from './servers.js';

export interface EventsBenchOptions {
  /** Concurrent `/events` clients on the one API process (default 1000). */
  clients?: number;
  /** Events in the burst (default 10000). */
  events?: number;
  /** Worker threads holding the clients (default 2). */
  workers?: number;
  /** Bytes of padding in each event's data, for a realistic job-return size (default 160). */
  padBytes?: number;
  /** Give up waiting for deliveries after this many ms without progress (default 20000). */
  stallMs?: number;
}

export interface EventsBenchResult {
  machine: string;
  clients: number;
  events: number;
  /** Bytes of one event frame on the wire. */
  frameBytes: number;
  /** Events received over events × clients, in %. */
  completeness: number;
  /** Clients the API cut off for falling too far behind. */
  cutOff: number;
  /** From firing an event to a client having read it. */
  latencyMs: { p50: number; p99: number; max: number };
  /** Writing the whole burst into the master's pull socket. */
  fireMs: number;
  /** From the first event fired to the last one received by the last client. */
  deliverMs: number;
  /** CPU time the API process used during the burst. */
  apiCpuMs: number;
  /** CPU time the clients (this process's worker threads) used during the burst. */
  clientsCpuMs: number;
  /** Average bytes the clients read at once (one HTTP chunk usually carries many events). */
  bytesPerRead: number;
  /** API process resident memory: before the clients, with them connected and idle, peak during the burst. */
  rssMiB: { base: number; idle: number; peak: number };
  /** Per client: idle connection, and at the peak of the burst. */
  rssPerClientKiB: { idle: number; peak: number };
}

const TAG = 'bench/event';
/** The API's listen backlog for the bench: a thousand clients connect within a second. */
const BACKLOG = 2048;
const RSS_SAMPLE_MS = 50;
/** Time for the API to settle (and collect garbage) before a memory figure is taken. */
const SETTLE_MS = 1500;

const script = (relative: string): URL => new URL(relative, import.meta.url);

/** The sandbox's master config with the API section adjusted for the bench; returns its sock_dir. */
async function prepareConfig(configDir: string): Promise<string> {
  const file = join(configDir, 'master');
  const config = load(await readFile(file, 'utf8')) as Record<string, unknown>;
  config.rest_koa = { ...(config.rest_koa as Record<string, unknown>), socket_queue_size: BACKLOG };
  await writeFile(file, dump(config), { mode: 0o600 });
  return String(config.sock_dir);
}

interface Clients {
  workers: Worker[];
  /** Resolves once every worker reports all its clients done (or cut off). */
  done: Promise<void>;
  report(): Promise<Extract<ClientsMessage, { type: 'report' }>[]>;
}

async function startClients(url: string, token: string, clients: number, workers: number, expected: number): Promise<Clients> {
  const shares = Array.from({ length: workers }, (_, index) => Math.floor(clients / workers) + (index < clients % workers ? 1 : 0));
  const started = shares.filter((share) => share > 0).map((share) => new Worker(script('./eventsClients.js'), { workerData: { url, token, clients: share, expected } satisfies ClientsData }));
  const next = (worker: Worker, type: ClientsMessage['type']): Promise<ClientsMessage> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: ClientsMessage) => {
        if (message.type !== type) return;
        worker.off('message', onMessage);
        resolve(message);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  const done = Promise.all(started.map((worker) => next(worker, 'done'))).then(() => undefined);
  done.catch(() => undefined);
  await Promise.all(started.map((worker) => next(worker, 'connected')));
  return {
    workers: started,
    done,
    async report() {
      const reports = started.map((worker) => next(worker, 'report'));
      for (const worker of started) worker.postMessage({ type: 'report' } satisfies BenchMessage);
      return (await Promise.all(reports)) as Extract<ClientsMessage, { type: 'report' }>[];
    },
  };
}

/**
 * The release startSandbox() runs (its default): its pull socket drops, or waits forever on, a
 * frame in the other release line's framing, so the burst must be written in this one's.
 */
const SANDBOX_RELEASE = saltRelease();

/** Write the burst into the master's event pull socket as fast as the socket takes it. */
async function fireBurst(sockDir: string, events: number, pad: string): Promise<{ firstSent: number; fireMs: number; frameBytes: number }> {
  const socket = net.connect(join(sockDir, 'master_event_pull.ipc'));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const firstSent = performance.timeOrigin + performance.now();
  let frameBytes = 0;
  for (let seq = 0; seq < events; seq++) {
    const sentUs = Math.round((performance.timeOrigin + performance.now()) * 1000);
    const event = { tag: TAG, data: { seq, sent_us: sentUs, pad, _stamp: eventStamp(SANDBOX_RELEASE.zonedStamps) } };
    const frame = frameFor(packEventFrame(event), SANDBOX_RELEASE.pullFraming);
    frameBytes = frame.length;
    if (!socket.write(frame)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  await new Promise<void>((resolve) => socket.end(resolve));
  return { firstSent, fireMs: performance.timeOrigin + performance.now() - firstSent, frameBytes };
}

/** CPU time per poll below which nothing is considered to be happening any more. */
const IDLE_CPU_MS = 10;
const POLL_MS = 250;

/** However busy the processes stay, the burst's deliveries are counted after this long. */
const MAX_DELIVERY_MS = 120_000;

/**
 * Resolves when `done` settles, when `cpuSpent()` has barely grown for `stallMs`, or after
 * {@link MAX_DELIVERY_MS}: events that never arrive show as missing in the report, never as a
 * bench that does not end.
 */
async function waitForDeliveries(done: Promise<void>, cpuSpent: () => Promise<number>, stallMs: number): Promise<void> {
  const deadline = Date.now() + MAX_DELIVERY_MS;
  let finished = false;
  void done.then(
    () => (finished = true),
    () => (finished = true),
  );
  let last = await cpuSpent();
  let idleSince = Date.now();
  while (!finished && Date.now() < deadline) {
    await sleep(POLL_MS);
    const now = await cpuSpent();
    if (now - last > IDLE_CPU_MS) idleSince = Date.now();
    else if (Date.now() - idleSince > stallMs) return;
    last = now;
  }
}

export async function benchEvents(options: EventsBenchOptions = {}): Promise<EventsBenchResult> {
  const clients = options.clients ?? 1000;
  const events = options.events ?? 10_000;
  const machine = describeMachine();
  const group = new ProcessGroup();
  const configDir = await mkdtemp(join(tmpdir(), 'salt-api-koa-events-bench-'));
  let running: Clients | undefined;
  try {
    await startSandbox(group, configDir, 2);
    const sockDir = await prepareConfig(configDir);
    const api = await startApi(group, configDir);
    const token = await login(api.url);
    await sleep(SETTLE_MS);
    const base = await residentMiB(api.child.pid);

    running = await startClients(api.url, token, clients, options.workers ?? 2, events);
    await sleep(SETTLE_MS);
    const idle = await residentMiB(api.child.pid);

    let peak = idle;
    const sampler = setInterval(() => void residentMiB(api.child.pid).then((rss) => (peak = Math.max(peak, rss)), () => undefined), RSS_SAMPLE_MS);
    const cpuBefore = await cpuMs(api.child.pid);
    const clientsBefore = process.cpuUsage();
    const burst = await fireBurst(sockDir, events, 'x'.repeat(options.padBytes ?? 160));
    const busy = async () => (await cpuMs(api.child.pid)) + process.cpuUsage().user / 1000;
    await waitForDeliveries(running.done, busy, options.stallMs ?? 20_000);
    const apiCpuMs = (await cpuMs(api.child.pid)) - cpuBefore;
    const clientsCpu = process.cpuUsage(clientsBefore);
    clearInterval(sampler);

    const reports = await running.report();
    const received = reports.reduce((sum, report) => sum + report.received, 0);
    const all = new Float64Array(reports.reduce((sum, report) => sum + report.latencies.length, 0));
    let offset = 0;
    for (const report of reports) {
      all.set(report.latencies, offset);
      offset += report.latencies.length;
    }
    all.sort();
    return {
      machine,
      clients,
      events,
      frameBytes: burst.frameBytes,
      completeness: (received / (clients * events)) * 100,
      cutOff: reports.reduce((sum, report) => sum + report.cutOff, 0),
      latencyMs: { p50: percentile(all, 0.5), p99: percentile(all, 0.99), max: percentile(all, 1) },
      fireMs: burst.fireMs,
      deliverMs: Math.max(...reports.map((report) => report.lastReceipt)) - burst.firstSent,
      apiCpuMs,
      clientsCpuMs: (clientsCpu.user + clientsCpu.system) / 1000,
      bytesPerRead: (received * burst.frameBytes) / reports.reduce((sum, report) => sum + report.chunks, 0),
      rssMiB: { base, idle, peak },
      rssPerClientKiB: { idle: ((idle - base) * 1024) / clients, peak: ((peak - base) * 1024) / clients },
    };
  } finally {
    await Promise.all(running?.workers.map((worker) => worker.terminate()) ?? []);
    await group.stopAll();
    await rm(configDir, { recursive: true, force: true });
  }
}

export function formatEventsBench(result: EventsBenchResult): string {
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return [
    `event streams: ${result.clients} SSE clients on one API process, a burst of ${result.events} events (${result.frameBytes} bytes each on the bus)`,
    `  machine:       ${result.machine}`,
    `  delivered:     ${result.completeness.toFixed(2)} % of ${result.clients * result.events} (clients cut off as too slow: ${result.cutOff})`,
    `  fire → read:   p50 ${ms(result.latencyMs.p50)}, p99 ${ms(result.latencyMs.p99)}, max ${ms(result.latencyMs.max)}`,
    `  burst:         fired in ${ms(result.fireMs)}, all read after ${ms(result.deliverMs)}`,
    `  CPU:           API ${ms(result.apiCpuMs)}, clients ${ms(result.clientsCpuMs)} (reading ~${Math.round(result.bytesPerRead)} bytes at a time)`,
    `  API RSS:       ${result.rssMiB.base.toFixed(1)} MiB before clients, ${result.rssMiB.idle.toFixed(1)} MiB with them idle, ${result.rssMiB.peak.toFixed(1)} MiB peak`,
    `  RSS / client:  ${result.rssPerClientKiB.idle.toFixed(1)} KiB idle, ${result.rssPerClientKiB.peak.toFixed(1)} KiB at the burst's peak`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { clients: { type: 'string' }, events: { type: 'string' }, workers: { type: 'string' } } });
  const count = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name}: expected a positive integer, got ${JSON.stringify(text)}`);
    return value;
  };
  const result = await benchEvents({ clients: count('clients', values.clients), events: count('events', values.events), workers: count('workers', values.workers) });
  console.log(formatEventsBench(result));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`bench/events: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
