/**
 * What the operations features cost: two API processes of the same build side by side in front of
 * one sandbox master, one with Prometheus metrics, the audit trail and auth throttling on, the
 * other with all three off, loaded in alternating runs at concurrency 32 with `POST /login` and
 * `local_async`. The cost is the drop in requests per second from off to on.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { ProcessGroup, cpuMs } from './children.js';
import { figuresOf, runLoad, type LoadRun } from './load.js';
import { login } from './probe.js';
import { SCENARIOS, type HttpRequest, type ScenarioId } from './scenarios.js';
import { startApi, startSandbox, type Server } from './servers.js';
import { MINIONS } from './workload.js';

const CONNECTIONS = 32;
const MEASURED: readonly ScenarioId[] = ['login', 'local_async'];
/** Most the three together may cost (issue 13): 5 % of the throughput. */
const TARGET_COST = 0.05;

export interface OperationsTiming {
  duration: number;
  rounds: number;
  warmup: number;
}

/** The `rest_koa` options of each side; the audit file goes in the side's own directory. */
function operationsOptions(on: boolean, dir: string): Record<string, unknown> {
  return on ? { enable_metrics: true, audit_log_file: join(dir, 'audit.log'), auth_throttle: true } : { enable_metrics: false, audit_log_file: '', auth_throttle: false };
}

/** A config dir holding the sandbox's master config with `options` added to its `rest_koa` section. */
async function sideConfig(sandboxConfigDir: string, name: string, on: boolean): Promise<string> {
  const dir = join(sandboxConfigDir, name);
  await mkdir(dir, { recursive: true });
  const master = load(await readFile(join(sandboxConfigDir, 'master'), 'utf8')) as Record<string, unknown>;
  const restKoa = (master.rest_koa ?? {}) as Record<string, unknown>;
  master.rest_koa = { ...restKoa, ...operationsOptions(on, dir) };
  await writeFile(join(dir, 'master'), dump(master), { mode: 0o600 });
  return dir;
}

interface SideRuns {
  runs: LoadRun[];
  cpuMs: number;
}

export interface OperationsRow {
  scenario: string;
  off: { requestsPerSecond: number; cpuUsPerRequest: number; failures: number };
  on: { requestsPerSecond: number; cpuUsPerRequest: number; failures: number };
  /** (off − on) / off of requests per second, the median over the rounds (each round runs both sides). */
  cost: number;
}

/** Each side gets its own request: the same but for the session token. */
async function measure(servers: readonly [Server, Server], requests: readonly [HttpRequest, HttpRequest], timing: OperationsTiming): Promise<[SideRuns, SideRuns]> {
  const loadOf = (i: 0 | 1) => {
    const request = requests[i];
    return { url: new URL(request.path, servers[i].url).href, method: request.method, headers: request.headers, body: request.body };
  };
  if (timing.warmup > 0) for (const i of [0, 1] as const) await runLoad({ ...loadOf(i), connections: CONNECTIONS, duration: timing.warmup });
  const sides: [SideRuns, SideRuns] = [
    { runs: [], cpuMs: 0 },
    { runs: [], cpuMs: 0 },
  ];
  for (let round = 0; round < timing.rounds; round++) {
    // Alternating which side goes first, so drift on a shared machine weighs on both alike.
    for (const i of round % 2 === 0 ? ([0, 1] as const) : ([1, 0] as const)) {
      const server = servers[i];
      const before = await cpuMs(server.child.pid);
      sides[i].runs.push(await runLoad({ ...loadOf(i), connections: CONNECTIONS, duration: timing.duration }));
      sides[i].cpuMs += (await cpuMs(server.child.pid)) - before;
    }
  }
  return sides;
}

/**
 * The cost of each round, its off and on runs taken back to back, then the median: a round the
 * shared machine slowed down weighs on both of its runs, and one odd round does not move it.
 */
function medianCost(off: readonly LoadRun[], on: readonly LoadRun[]): number {
  const rate = (run: LoadRun) => run.requests / run.seconds;
  const costs = off.map((run, i) => (rate(run) - rate(on[i]!)) / rate(run)).sort((a, b) => a - b);
  const middle = costs.length / 2;
  return costs.length % 2 === 1 ? costs[Math.floor(middle)]! : (costs[middle - 1]! + costs[middle]!) / 2;
}

function figures(side: SideRuns): OperationsRow['on'] {
  const { requestsPerSecond, requests, failures } = figuresOf(side.runs);
  return { requestsPerSecond, cpuUsPerRequest: (side.cpuMs * 1000) / requests, failures };
}

export async function benchOperations(timing: OperationsTiming): Promise<OperationsRow[]> {
  const group = new ProcessGroup();
  const configDir = await mkdtemp(join(tmpdir(), 'salt-api-koa-operations-'));
  try {
    await startSandbox(group, configDir, MINIONS);
    const off = await startApi(group, await sideConfig(configDir, 'off', false));
    const on = await startApi(group, await sideConfig(configDir, 'on', true));
    const rows: OperationsRow[] = [];
    for (const id of MEASURED) {
      const scenario = SCENARIOS.find((candidate) => candidate.id === id)!;
      const tokens = scenario.needsToken ? await Promise.all([login(off.url), login(on.url)]) : [undefined, undefined];
      const [offRuns, onRuns] = await measure([off, on], [scenario.request(tokens[0]), scenario.request(tokens[1])], timing);
      rows.push({ scenario: scenario.label, off: figures(offRuns), on: figures(onRuns), cost: medianCost(offRuns.runs, onRuns.runs) });
    }
    return rows;
  } finally {
    await group.stopAll();
    await rm(configDir, { recursive: true, force: true });
  }
}

export function formatOperations(rows: readonly OperationsRow[]): string {
  const cell = (text: string, width = 9) => text.padStart(width);
  const lines = [
    `operations cost: metrics + audit trail + auth throttling on vs off, same build, c=${CONNECTIONS}, target < ${TARGET_COST * 100} %`,
    'cost = median over the rounds of each round\'s drop in req/s (off and on run back to back, alternating which goes first)',
    `${'scenario'.padEnd(14)}${cell('off req/s')}${cell('on req/s')}${cell('off µs')}${cell('on µs')}${cell('cost')}  verdict`,
  ];
  for (const row of rows) {
    const failed = row.off.failures + row.on.failures > 0;
    const verdict = failed ? `FAILED (${row.off.failures + row.on.failures} failures)` : row.cost < TARGET_COST ? 'ok' : 'over target';
    lines.push(
      `${row.scenario.padEnd(14)}${cell(row.off.requestsPerSecond.toFixed(0))}${cell(row.on.requestsPerSecond.toFixed(0))}` +
        `${cell(row.off.cpuUsPerRequest.toFixed(0))}${cell(row.on.cpuUsPerRequest.toFixed(0))}${cell(`${(row.cost * 100).toFixed(1)} %`)}  ${verdict}`,
    );
  }
  return lines.join('\n');
}
