/**
 * The fleet bench (`--fleet 1000,10000`): how the API's cost grows with the number of minions.
 * For each fleet size a sandbox master simulating that many minions runs in its own process; each
 * case is measured in a fresh API process (so its CPU time and peak RSS are the case's alone)
 * while a probe sends `GET /` every 10 ms: the slowest probe is the longest the API's event loop
 * was blocked. Figures are medians over the passes; the growth exponent log(t2/t1)/log(n2/n1)
 * from the smallest to the largest fleet is 1 for linear work and 2 for quadratic.
 */
import http from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMs, peakResidentMiB, residentMiB, type ProcessGroup } from './children.js';
import { describeMachine } from './machine.js';
import { login } from './probe.js';
import { startApi, startSandbox } from './servers.js';

/** Milliseconds between two probe requests. */
const PROBE_INTERVAL_MS = 10;
/** How long the jid of `GET /jobs/<jid>` may take to have every return cached. */
const JOB_SETTLE_MS = 120_000;
const JOB_POLL_MS = 500;

export interface FleetOptions {
  sizes: number[];
  passes: number;
  /** Seconds over which the sandbox spreads a job's returns. */
  returnWindow: number;
}

interface FleetRequest {
  method: 'GET' | 'POST';
  path: string;
  accept: string;
  body?: string;
}

interface FleetCase {
  name: string;
  request(jid: string): FleetRequest;
}

const GRAINS_ITEMS = JSON.stringify([{ client: 'local', tgt: '*', fun: 'grains.items' }]);

const CASES: readonly FleetCase[] = [
  { name: 'local grains.items (JSON)', request: () => ({ method: 'POST', path: '/', accept: 'application/json', body: GRAINS_ITEMS }) },
  { name: 'local grains.items (YAML)', request: () => ({ method: 'POST', path: '/', accept: 'application/x-yaml', body: GRAINS_ITEMS }) },
  { name: 'GET /jobs/<jid> of it', request: (jid) => ({ method: 'GET', path: `/jobs/${jid}`, accept: 'application/json' }) },
  { name: 'GET /minions', request: () => ({ method: 'GET', path: '/minions', accept: 'application/json' }) },
];

/** One measured request in one API process. */
interface Measurement {
  status: number;
  latencyMs: number;
  cpuMs: number;
  maxBlockMs: number;
  bytes: number;
  peakRssMiB: number;
  /** Peak RSS less the RSS just before the request: what the answer itself cost in memory. */
  rssGrowthMiB: number;
}

export interface CaseFigures {
  name: string;
  /** By fleet size, medians over the passes. */
  bySize: Map<number, Measurement>;
  /** Statuses other than 200 seen in any pass. */
  failures: string[];
}

export interface FleetResult {
  machine: string;
  options: FleetOptions;
  cases: CaseFigures[];
}

interface Response {
  status: number;
  bytes: number;
  body: Buffer;
}

/** One request on a connection of its own; the body is kept as raw chunks, not parsed, so the bench itself stays light. */
function exchange(base: string, request: FleetRequest, token: string, keepBody = false): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: request.accept, 'X-Auth-Token': token };
    if (request.body !== undefined) headers['Content-Type'] = 'application/json';
    const req = http.request(new URL(request.path, base), { method: request.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (keepBody) chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(request.body);
  });
}

/** `GET /` every {@link PROBE_INTERVAL_MS} on one keep-alive connection until stopped; resolves with the slowest answer. */
function probeLoop(base: string): { stop(): Promise<number> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let running = true;
  const done = (async () => {
    let slowest = 0;
    while (running) {
      const started = performance.now();
      await new Promise<void>((resolve, reject) => {
        http
          .get(new URL('/', base), { agent }, (res) => {
            res.resume();
            res.on('end', resolve);
          })
          .on('error', reject);
      });
      const took = performance.now() - started;
      slowest = Math.max(slowest, took);
      await sleep(Math.max(0, PROBE_INTERVAL_MS - took));
    }
    agent.destroy();
    return slowest;
  })();
  return {
    stop: () => {
      running = false;
      return done;
    },
  };
}

async function measure(group: ProcessGroup, configDir: string, request: FleetRequest): Promise<Measurement> {
  const api = await startApi(group, configDir);
  try {
    const token = await login(api.url);
    const pid = api.child.pid;
    const rssBefore = await residentMiB(pid);
    const cpuBefore = await cpuMs(pid);
    const probe = probeLoop(api.url);
    const started = performance.now();
    const response = await exchange(api.url, request, token);
    const latencyMs = performance.now() - started;
    const maxBlockMs = await probe.stop();
    return {
      status: response.status,
      latencyMs,
      cpuMs: (await cpuMs(pid)) - cpuBefore,
      maxBlockMs,
      bytes: response.bytes,
      peakRssMiB: await peakResidentMiB(pid),
      rssGrowthMiB: (await peakResidentMiB(pid)) - rssBefore,
    };
  } finally {
    await api.child.stop();
  }
}

/** A `grains.items` job whose every return is in the master's job cache, for `GET /jobs/<jid>`. */
async function settledJob(group: ProcessGroup, configDir: string, minions: number): Promise<string> {
  const api = await startApi(group, configDir);
  try {
    const token = await login(api.url);
    const body = JSON.stringify([{ client: 'local_async', tgt: '*', fun: 'grains.items' }]);
    const reply = await exchange(api.url, { method: 'POST', path: '/', accept: 'application/json', body }, token, true);
    const jid = (JSON.parse(reply.body.toString('utf8')) as { return: { jid?: string }[] }).return[0]?.jid;
    if (reply.status !== 200 || jid === undefined) throw new Error(`local_async grains.items failed (${reply.status})`);
    const deadline = Date.now() + JOB_SETTLE_MS;
    for (;;) {
      const job = await exchange(api.url, { method: 'GET', path: `/jobs/${jid}`, accept: 'application/json' }, token, true);
      const info = (JSON.parse(job.body.toString('utf8')) as { info?: { Result?: Record<string, unknown> }[] }).info?.[0];
      if (Object.keys(info?.Result ?? {}).length >= minions) return jid;
      if (Date.now() > deadline) throw new Error(`job ${jid} did not collect ${minions} returns within ${JOB_SETTLE_MS} ms`);
      await sleep(JOB_POLL_MS);
    }
  } finally {
    await api.child.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function medians(passes: Measurement[]): Measurement {
  const of = (key: keyof Measurement) => median(passes.map((pass) => pass[key]));
  return {
    status: passes.every((pass) => pass.status === 200) ? 200 : (passes.find((pass) => pass.status !== 200)?.status ?? 0),
    latencyMs: of('latencyMs'),
    cpuMs: of('cpuMs'),
    maxBlockMs: of('maxBlockMs'),
    bytes: of('bytes'),
    peakRssMiB: of('peakRssMiB'),
    rssGrowthMiB: of('rssGrowthMiB'),
  };
}

export async function benchFleet(group: ProcessGroup, configDir: string, options: FleetOptions): Promise<FleetResult> {
  const machine = describeMachine();
  const cases: CaseFigures[] = CASES.map((fleetCase) => ({ name: fleetCase.name, bySize: new Map(), failures: [] }));
  for (const size of options.sizes) {
    const dir = await mkdtemp(join(configDir, `fleet-${size}-`));
    const sandbox = await startSandbox(group, dir, size, options.returnWindow);
    try {
      const jid = await settledJob(group, dir, size);
      for (const [index, fleetCase] of CASES.entries()) {
        const figures = cases[index]!;
        const passes: Measurement[] = [];
        for (let pass = 0; pass < options.passes; pass++) {
          const result = await measure(group, dir, fleetCase.request(jid));
          if (result.status !== 200) figures.failures.push(`${size} minions, pass ${pass + 1}: ${result.status}`);
          passes.push(result);
        }
        figures.bySize.set(size, medians(passes));
      }
    } finally {
      await sandbox.stop();
    }
  }
  return { machine, options, cases };
}

/** log(t2/t1)/log(n2/n1): 1 when the cost grows as the fleet does, 2 when it grows as its square. */
function exponent(small: number, large: number, nSmall: number, nLarge: number): string {
  if (small <= 0 || large <= 0 || nSmall === nLarge) return '–';
  return (Math.log(large / small) / Math.log(nLarge / nSmall)).toFixed(2);
}

function cell(text: string, width: number): string {
  return text.padStart(width);
}

export function formatFleet(result: FleetResult): string {
  const { sizes, passes, returnWindow } = result.options;
  const spread = returnWindow > 0 ? `returns spread over ${returnWindow} s` : 'returns all at once';
  const lines = [
    `Fleet bench: ${result.machine}`,
    `Medians of ${passes} pass(es), each in a fresh API process; sandbox master in its own process (${spread}). Block = slowest GET / probe (one every ${PROBE_INTERVAL_MS} ms).`,
    'RSS growth = peak RSS less the RSS just before the request (MiB); ÷ answer = that growth over the answer\'s bytes.',
    '',
    `${'case'.padEnd(28)}${cell('minions', 9)}${cell('latency ms', 12)}${cell('API CPU ms', 12)}${cell('block ms', 10)}${cell('bytes', 12)}${cell('peak RSS MiB', 14)}${cell('RSS growth', 12)}${cell('÷ answer', 10)}`,
  ];
  for (const figures of result.cases) {
    for (const size of sizes) {
      const m = figures.bySize.get(size);
      if (!m) continue;
      lines.push(
        `${figures.name.padEnd(28)}${cell(String(size), 9)}${cell(m.latencyMs.toFixed(0), 12)}${cell(m.cpuMs.toFixed(0), 12)}${cell(m.maxBlockMs.toFixed(0), 10)}${cell(String(m.bytes), 12)}${cell(m.peakRssMiB.toFixed(0), 14)}${cell(m.rssGrowthMiB.toFixed(0), 12)}${cell((m.rssGrowthMiB * 2 ** 20 / m.bytes).toFixed(1), 10)}`,
      );
    }
  }
  const [first, last] = [sizes[0], sizes[sizes.length - 1]];
  if (first !== undefined && last !== undefined && first !== last) {
    lines.push('', `Growth exponent from ${first} to ${last} minions (1 = linear, 2 = quadratic):`);
    lines.push(`${'case'.padEnd(28)}${cell('latency', 9)}${cell('CPU', 7)}${cell('bytes', 7)}${cell('RSS', 7)}`);
    for (const figures of result.cases) {
      const a = figures.bySize.get(first);
      const b = figures.bySize.get(last);
      if (!a || !b) continue;
      const grow = (key: keyof Measurement) => exponent(a[key], b[key], first, last);
      lines.push(`${figures.name.padEnd(28)}${cell(grow('latencyMs'), 9)}${cell(grow('cpuMs'), 7)}${cell(grow('bytes'), 7)}${cell(grow('peakRssMiB'), 7)}`);
    }
  }
  const failures = result.cases.flatMap((figures) => figures.failures.map((failure) => `${figures.name}, ${failure}`));
  if (failures.length > 0) lines.push('', 'Answers other than 200:', ...failures.map((failure) => `  ${failure}`));
  return lines.join('\n');
}
