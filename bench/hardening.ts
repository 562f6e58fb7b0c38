/**
 * The hardening bench: what hostile input, slow clients, crowds and a dead master do to one API
 * process in front of a sandbox master (each in its own process). The figures are the ones the
 * README's "Reliability" table puts beside salt-api's.
 *
 *   node dist/bench/hardening.js [--soak MINUTES]
 */
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { exchange, slowloris, statusOf } from '../test/support/sockets.js';
import { ProcessGroup, residentMiB } from './children.js';
import { describeMachine } from './machine.js';
import { login } from './probe.js';
import { startProbedApi, type LoopSample, type ProbedApi } from './probedApi.js';
import { startSandbox } from './servers.js';
import { benchSoak, formatSoak } from './soak.js';
import { KINDS, latencies, sendRequest, succeeded, tally, type Kind, type Latencies, type Outcome } from './traffic.js';
import { MINIONS } from './workload.js';

export interface HardeningOptions {
  /** Slowloris connections held open while a normal client is timed (default 150). */
  slowloris?: number;
  /** Requests of a normal client timed with and without the attack (default 200). */
  probes?: number;
  /** Concurrent `local_async` requests, the load salt-api failed 88 of 300 under (default 300). */
  asyncBurst?: number;
  /** Concurrent requests of every kind (default 1000). */
  mixedBurst?: number;
}

export interface Burst {
  requests: number;
  answered2xx: number;
  tally: string;
  wallMs: number;
  latencyMs: Latencies;
  rssMiB: { before: number; after: number };
  loop: LoopSample;
}

export interface Attack {
  what: string;
  /** Status code, or "closed" when the connection was closed without one. */
  answer: string;
  ms: number;
  rssMiB: { before: number; after: number };
}

export interface HardeningResult {
  machine: string;
  quietMs: Latencies;
  slowloris: { connections: number; heldOpen: number; latencyMs: Latencies; failures: number };
  asyncBurst: Burst;
  mixedBurst: Burst;
  attacks: Attack[];
  masterDown: Outcome[];
}

/** Sequential requests of one keep-alive client, alternating GET / and a local test.ping. */
async function normalClient(url: string, token: string, count: number): Promise<{ latencyMs: Latencies; failures: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const outcomes: Outcome[] = [];
  try {
    for (let i = 0; i < count; i++) outcomes.push(await sendRequest(url, i % 2 === 0 ? 'root' : 'local', token, agent));
  } finally {
    agent.destroy();
  }
  return { latencyMs: latencies(outcomes.map((o) => o.ms)), failures: outcomes.filter((o) => !succeeded(o)).length };
}

/** `count` requests at once, each on a connection of its own, cycling through `kinds`. */
async function burst(api: ProbedApi, token: string, kinds: readonly Kind[], count: number): Promise<Burst> {
  const before = await residentMiB(api.child.pid);
  await api.sample();
  const started = performance.now();
  const outcomes = await Promise.all(Array.from({ length: count }, (_, i) => sendRequest(api.url, kinds[i % kinds.length]!, token, false)));
  const wallMs = performance.now() - started;
  const loop = await api.sample();
  return {
    requests: count,
    answered2xx: outcomes.filter(succeeded).length,
    tally: tally(outcomes),
    wallMs,
    latencyMs: latencies(outcomes.map((o) => o.ms)),
    rssMiB: { before, after: await residentMiB(api.child.pid) },
    loop,
  };
}

const YAML_BOMB = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
  .concat(['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map((name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`))
  .join('\n');
const FORM_BOMB = '[&a [1,1,1,1,1,1,1,1,1,1], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a], &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b], &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c], &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]]';

/** One hostile request: its answer, how long it took and what it did to the API's memory. */
async function attack(api: ProbedApi, what: string, send: () => Promise<string>): Promise<Attack> {
  const before = await residentMiB(api.child.pid);
  const started = performance.now();
  const answer = await send();
  return { what, answer, ms: performance.now() - started, rssMiB: { before, after: await residentMiB(api.child.pid) } };
}

function postBody(url: string, path: string, type: string, body: Uint8Array<ArrayBuffer> | string, token?: string): Promise<string> {
  const headers: Record<string, string> = { 'Content-Type': type, Accept: 'application/json' };
  if (token !== undefined) headers['X-Auth-Token'] = token;
  return fetch(new URL(path, url), { method: 'POST', headers, body }).then(async (res) => {
    await res.arrayBuffer();
    return String(res.status);
  });
}

async function hostileInput(api: ProbedApi, token: string): Promise<Attack[]> {
  const { url } = api;
  const formOfBombs = `client=local&tgt=minion-1&fun=test.arg&${Array(2000).fill(`arg=${encodeURIComponent(FORM_BOMB)}`).join('&')}`;
  return [
    await attack(api, `YAML alias bomb (${YAML_BOMB.length} bytes) to /login`, () => postBody(url, '/login', 'application/x-yaml', YAML_BOMB)),
    await attack(api, `form of 2000 small alias bombs (${Math.round(formOfBombs.length / 1024)} KiB) to /`, () =>
      postBody(url, '/', 'application/x-www-form-urlencoded', formOfBombs, token),
    ),
    await attack(api, '100k-deep JSON array to /login', () => postBody(url, '/login', 'application/json', '['.repeat(100_000) + ']'.repeat(100_000))),
    await attack(api, 'invalid UTF-8 body to /', () => postBody(url, '/', 'application/json', Uint8Array.of(0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d), token)),
    await attack(api, '10 MB single header', async () => {
      const result = await exchange(
        url,
        (socket) => {
          socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nX-Huge: ');
          socket.write('a'.repeat(10 * 1024 * 1024));
          socket.write('\r\n\r\n');
        },
        30_000,
      );
      return result.received === '' ? 'closed' : String(statusOf(result.received));
    }),
  ];
}

export async function benchHardening(options: HardeningOptions = {}): Promise<HardeningResult> {
  const connections = options.slowloris ?? 150;
  const probes = options.probes ?? 200;
  const group = new ProcessGroup();
  const configDir = await mkdtemp(join(tmpdir(), 'salt-api-koa-hardening-'));
  try {
    const sandbox = await startSandbox(group, configDir, MINIONS);
    const api = await startProbedApi(group, configDir);
    const token = await login(api.url);
    // Warm up, so the first figures are not the JIT's.
    await normalClient(api.url, token, probes);
    const quiet = await normalClient(api.url, token, probes);

    const attackers = await slowloris(api.url, connections, 1000);
    let underAttack: { latencyMs: Latencies; failures: number };
    let heldOpen: number;
    try {
      await sleep(500);
      underAttack = await normalClient(api.url, token, probes);
      heldOpen = connections - attackers.closed();
    } finally {
      attackers.stop();
    }

    const asyncBurst = await burst(api, token, ['local_async'], options.asyncBurst ?? 300);
    const mixedBurst = await burst(api, token, KINDS, options.mixedBurst ?? 1000);
    const attacks = await hostileInput(api, token);

    // Last: the master goes away for good (the sandbox process is stopped).
    await sandbox.stop();
    const masterDown = await Promise.all((['login', 'local', 'runner', 'wheel'] as const).map((kind) => sendRequest(api.url, kind, token, false)));

    return {
      machine: describeMachine(),
      quietMs: quiet.latencyMs,
      slowloris: { connections, heldOpen, ...underAttack },
      asyncBurst,
      mixedBurst,
      attacks,
      masterDown,
    };
  } finally {
    await group.stopAll();
    await rm(configDir, { recursive: true, force: true });
  }
}

const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(0)} ms`;
const spread = (l: Latencies) => `p50 ${ms(l.p50)}, p99 ${ms(l.p99)}, max ${ms(l.max)}`;

function formatBurst(name: string, b: Burst): string[] {
  return [
    `${name}: ${b.answered2xx}/${b.requests} answered 2xx (${b.tally}) in ${ms(b.wallMs)}`,
    `    latency ${spread(b.latencyMs)}; event-loop delay p99 ${ms(b.loop.p99Ms)}, max ${ms(b.loop.maxMs)}; RSS ${b.rssMiB.before.toFixed(1)} → ${b.rssMiB.after.toFixed(1)} MiB`,
  ];
}

export function formatHardening(result: HardeningResult): string {
  const { slowloris: attack } = result;
  return [
    'hardening: one API process, sandbox master in another, on loopback',
    `  machine: ${result.machine}`,
    `  normal client, quiet:              ${spread(result.quietMs)}`,
    `  normal client, ${attack.connections} slowloris conns: ${spread(attack.latencyMs)}; ${attack.failures} failed; ${attack.heldOpen} attack connections still open`,
    ...formatBurst('  concurrent local_async', result.asyncBurst),
    ...formatBurst('  concurrent mixed', result.mixedBurst),
    '  hostile input:',
    ...result.attacks.map((a) => `    ${a.what}: ${a.answer} in ${ms(a.ms)}; RSS ${a.rssMiB.before.toFixed(1)} → ${a.rssMiB.after.toFixed(1)} MiB`),
    '  master stopped (master_timeout 5 s):',
    ...result.masterDown.map((o) => `    ${o.kind}: ${o.error ?? o.status} after ${ms(o.ms)}`),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { soak: { type: 'string' } } });
  if (values.soak !== undefined) {
    const minutes = Number(values.soak);
    if (!Number.isFinite(minutes) || minutes <= 0) throw new Error(`--soak: expected a number of minutes > 0, got ${JSON.stringify(values.soak)}`);
    console.log(formatSoak(await benchSoak({ minutes })));
    return;
  }
  console.log(formatHardening(await benchHardening()));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`bench/hardening: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
