/**
 * What the operations features cost: API processes of the same build in pairs in front of one
 * sandbox master, one with Prometheus metrics, the audit trail and auth throttling on, the other
 * with all three off, loaded in alternating runs at concurrency 32 with `POST /login` and
 * `local_async`. The cost is the drop in requests per second from off to on.
 *
 * On a small shared machine one run's rate moves by several per cent, so the design pairs its
 * runs closely: each round runs both sides back to back (alternating which goes first), each
 * measured run follows a short discarded one on the same side, a fresh pair of processes takes
 * over every few rounds (started the other way round), and the cost is the median of the rounds'
 * costs.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { ProcessGroup, cpuMs } from './children.js';
import { figuresOf, runLoad, type LoadRun } from './load.js';
import { login } from './probe.js';
import { SCENARIOS, type Scenario, type ScenarioId } from './scenarios.js';
import { startApi, startSandbox, type Server } from './servers.js';
import { MINIONS } from './workload.js';

const CONNECTIONS = 32;
const MEASURED: readonly ScenarioId[] = ['login', 'local_async'];
/** Most the three together may cost (issue 13): 5 % of the throughput. */
const TARGET_COST = 0.05;
/**
 * Rounds per scenario unless --rounds says otherwise: four pairs of processes, two started each
 * way round, so the start order's advantage (see measure()) weighs on both sides alike; with 12,
 * three pairs, one order counted twice.
 */
const DEFAULT_ROUNDS = 16;
/**
 * Seconds of discarded load right before each measured run. A process that sat idle while the
 * other side was loaded answers some 10 % slower for its first second or so; without this, the
 * side measured second in a round was the slow one, and the median jumped with the round count.
 */
const SETTLE_SECONDS = 1;

export interface OperationsTiming {
  duration: number;
  /** Undefined: {@link DEFAULT_ROUNDS}. */
  rounds?: number;
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
  /** The rounds' costs between which the middle half lie (first and third quartile). */
  middleHalf: [number, number];
}

/** The rounds one pair of API processes serves before a fresh pair takes over. */
const ROUNDS_PER_PAIR = 4;

type Side = 0 | 1;
const OFF: Side = 0;
const ON: Side = 1;

/**
 * `rounds` rounds on one fresh pair of API processes, started in `order` (each keeps its start
 * order's advantage or handicap; the next pair starts the other way round). Each side gets its
 * own request: the same but for the session token.
 */
async function measurePair(
  group: ProcessGroup,
  configs: readonly [string, string],
  order: readonly [Side, Side],
  scenario: Scenario,
  timing: OperationsTiming & { rounds: number },
  sides: [SideRuns, SideRuns],
): Promise<void> {
  const servers: Server[] = [];
  for (const i of order) servers[i] = await startApi(group, configs[i]);
  try {
    const loads = await Promise.all(
      ([OFF, ON] as const).map(async (i) => {
        const request = scenario.request(scenario.needsToken ? await login(servers[i]!.url) : undefined);
        return { url: new URL(request.path, servers[i]!.url).href, method: request.method, headers: request.headers, body: request.body, connections: CONNECTIONS };
      }),
    );
    if (timing.warmup > 0) for (const i of order) await runLoad({ ...loads[i]!, duration: timing.warmup });
    for (let round = 0; round < timing.rounds; round++) {
      // Alternating which side goes first, so drift on a shared machine weighs on both alike.
      for (const i of round % 2 === 0 ? order : ([order[1], order[0]] as const)) {
        const pid = servers[i]!.child.pid;
        await runLoad({ ...loads[i]!, duration: SETTLE_SECONDS });
        const before = await cpuMs(pid);
        sides[i].runs.push(await runLoad({ ...loads[i]!, duration: timing.duration }));
        sides[i].cpuMs += (await cpuMs(pid)) - before;
      }
    }
  } finally {
    await Promise.all(servers.map((server) => server.child.stop()));
  }
}

/**
 * Every round of one scenario, {@link ROUNDS_PER_PAIR} to a pair of fresh API processes. Two
 * processes of the same build and options differ by a few per cent for as long as they live
 * (measured with both sides off: the one started second ran 2 % faster), so no single pair may
 * decide the result.
 */
async function measure(group: ProcessGroup, configs: readonly [string, string], scenario: Scenario, timing: OperationsTiming): Promise<[SideRuns, SideRuns]> {
  const sides: [SideRuns, SideRuns] = [
    { runs: [], cpuMs: 0 },
    { runs: [], cpuMs: 0 },
  ];
  const rounds = timing.rounds ?? DEFAULT_ROUNDS;
  for (let done = 0, pair = 0; done < rounds; done += ROUNDS_PER_PAIR, pair++) {
    const order = pair % 2 === 0 ? ([OFF, ON] as const) : ([ON, OFF] as const);
    await measurePair(group, configs, order, scenario, { ...timing, rounds: Math.min(ROUNDS_PER_PAIR, rounds - done) }, sides);
  }
  return sides;
}

/** The value `fraction` of the way through `sorted`, interpolated between neighbours. */
function quantile(sorted: readonly number[], fraction: number): number {
  const at = (sorted.length - 1) * fraction;
  const below = Math.floor(at);
  return sorted[below]! + (sorted[Math.ceil(at)]! - sorted[below]!) * (at - below);
}

/**
 * The cost of each round, its off and on runs taken back to back, then the median and quartiles:
 * a round the shared machine slowed down weighs on both of its runs, and one odd round does not
 * move the median.
 */
function roundCosts(off: readonly LoadRun[], on: readonly LoadRun[]): Pick<OperationsRow, 'cost' | 'middleHalf'> {
  const rate = (run: LoadRun) => run.requests / run.seconds;
  const costs = off.map((run, i) => (rate(run) - rate(on[i]!)) / rate(run)).sort((a, b) => a - b);
  return { cost: quantile(costs, 0.5), middleHalf: [quantile(costs, 0.25), quantile(costs, 0.75)] };
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
    const configs = [await sideConfig(configDir, 'off', false), await sideConfig(configDir, 'on', true)] as const;
    const rows: OperationsRow[] = [];
    for (const id of MEASURED) {
      const scenario = SCENARIOS.find((candidate) => candidate.id === id)!;
      const [offRuns, onRuns] = await measure(group, configs, scenario, timing);
      rows.push({ scenario: scenario.label, off: figures(offRuns), on: figures(onRuns), ...roundCosts(offRuns.runs, onRuns.runs) });
    }
    return rows;
  } finally {
    await group.stopAll();
    await rm(configDir, { recursive: true, force: true });
  }
}

const percent = (fraction: number) => `${(fraction * 100).toFixed(1)} %`;

export function formatOperations(rows: readonly OperationsRow[]): string {
  const cell = (text: string, width = 9) => text.padStart(width);
  const lines = [
    `operations cost: metrics + audit trail + auth throttling on vs off, same build, c=${CONNECTIONS}, target < ${TARGET_COST * 100} %`,
    'cost = median over the rounds of each round\'s drop in req/s (off and on run back to back, alternating which goes first,',
    `each after ${SETTLE_SECONDS} s of discarded load; a fresh pair of processes every ${ROUNDS_PER_PAIR} rounds, started in alternating order);`,
    'middle half = the rounds\' costs between the first and third quartile; µs = API CPU per request',
    `${'scenario'.padEnd(14)}${cell('off req/s')}${cell('on req/s')}${cell('off µs')}${cell('on µs')}${cell('cost')}${cell('middle half', 17)}  verdict`,
  ];
  for (const row of rows) {
    const failed = row.off.failures + row.on.failures > 0;
    const verdict = failed ? `FAILED (${row.off.failures + row.on.failures} failures)` : row.cost < TARGET_COST ? 'ok' : 'over target';
    lines.push(
      `${row.scenario.padEnd(14)}${cell(row.off.requestsPerSecond.toFixed(0))}${cell(row.on.requestsPerSecond.toFixed(0))}` +
        `${cell(row.off.cpuUsPerRequest.toFixed(0))}${cell(row.on.cpuUsPerRequest.toFixed(0))}${cell(percent(row.cost))}` +
        `${cell(`${percent(row.middleHalf[0])} … ${percent(row.middleHalf[1])}`, 17)}  ${verdict}`,
    );
  }
  return lines.join('\n');
}
