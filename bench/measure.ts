/**
 * One scenario from start to figures: the API process and its baseline process, each checked
 * with one request and warmed up, then loaded in alternating runs at every concurrency, with
 * each side's CPU time summed over its runs and its RSS read after the last.
 *
 * Both servers run side by side, and their runs alternate (API first, then baseline first, and
 * so on) so that whatever else the machine does during a scenario weighs on both the same way:
 * run one after the other, a few seconds of drift on a shared machine moved the ratios by ±0.2.
 * The idle one's only work is decoding the bus events of the other's jobs, which both do with the
 * same EventBus code.
 */
import { cpuMs, residentMiB, type ProcessGroup } from './children.js';
import { figuresOf, runLoad, type LoadFigures, type LoadRun, type LoadSpec } from './load.js';
import { login, replyJson, send, type Reply } from './probe.js';
import type { HttpRequest, Scenario } from './scenarios.js';
import { sameReply, startApi, startKoaBaseline, startKoaFloor, startMasterBaseline, type Profiling, type Server } from './servers.js';

export const CONCURRENCIES = [1, 32] as const;

export interface Timing {
  /** Seconds of one measured run. */
  duration: number;
  /** Measured runs per server and concurrency, alternating between the two servers. */
  rounds: number;
  /** Seconds of discarded load on each server before its runs. */
  warmup: number;
}

export interface BenchContext {
  group: ProcessGroup;
  /** Holds the sandbox's `master` config. */
  configDir: string;
  timing: Timing;
  cpuProfDir?: string;
}

export interface Measurement {
  connections: number;
  figures: LoadFigures;
  /** CPU time the server process spent per request during its measured runs. */
  cpuUsPerRequest: number;
  rssMiB: number;
}

export interface ScenarioResult {
  scenario: Scenario;
  api: Measurement[];
  baseline: Measurement[];
}

/** A server and the load it gets: the scenario's request on that server's path. */
interface Side {
  server: Server;
  load: Omit<LoadSpec, 'connections' | 'duration'>;
}

function sideOf(server: Server, path: string, request: HttpRequest): Side {
  return { server, load: { url: new URL(path, server.url).href, method: request.method, headers: request.headers, body: request.body } };
}

/** Runs `use` with a started server, stopping it afterwards whatever happens. */
async function withServer<T>(starting: Promise<Server>, use: (server: Server) => Promise<T>): Promise<T> {
  const server = await starting;
  try {
    return await use(server);
  } finally {
    await server.child.stop();
  }
}

function expectAnswer(who: string, scenario: Scenario, reply: Reply): void {
  if (reply.status === 200 && scenario.answers(replyJson(reply))) return;
  throw new Error(`${who} answered ${scenario.label} wrongly (${reply.status}): ${reply.body.toString('utf8').slice(0, 500)}`);
}

/** One concurrency: `rounds` runs per side, in alternating order. */
async function measureConcurrency(sides: readonly [Side, Side], connections: number, timing: Timing): Promise<[Measurement, Measurement]> {
  const runs: [LoadRun[], LoadRun[]] = [[], []];
  const cpu = [0, 0];
  for (let round = 0; round < timing.rounds; round++) {
    for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const { server, load } = sides[i]!;
      const before = await cpuMs(server.child.pid);
      runs[i]!.push(await runLoad({ ...load, connections, duration: timing.duration }));
      cpu[i]! += (await cpuMs(server.child.pid)) - before;
    }
  }
  const measurement = async (i: 0 | 1): Promise<Measurement> => {
    const figures = figuresOf(runs[i]);
    return { connections, figures, cpuUsPerRequest: (cpu[i]! * 1000) / figures.requests, rssMiB: await residentMiB(sides[i].server.child.pid) };
  };
  return [await measurement(0), await measurement(1)];
}

export async function benchScenario(context: BenchContext, scenario: Scenario): Promise<ScenarioResult> {
  const { group, configDir, timing, cpuProfDir } = context;
  const profiling = (side: string): Profiling | undefined => (cpuProfDir === undefined ? undefined : { dir: cpuProfDir, name: `${side}-${scenario.id}` });

  const front = scenario.front === 'api' ? startApi(group, configDir, profiling('api')) : startKoaFloor(group, configDir, profiling('koa-floor'));
  return withServer(front, async (apiServer) => {
    const token = scenario.needsToken ? await login(apiServer.url) : undefined;
    const request = scenario.request(token);
    const apiReply = await send(apiServer.url, request.path, request);
    expectAnswer(scenario.front === 'api' ? 'the API' : 'the Koa floor', scenario, apiReply);

    const { baseline } = scenario;
    const starting =
      baseline.kind === 'koa'
        ? startKoaBaseline(group, apiReply, profiling('koa'))
        : startMasterBaseline(group, configDir, profiling('baseline'));
    const path = baseline.kind === 'koa' ? request.path : `/${baseline.call}`;
    return withServer(starting, async (baselineServer) => {
      // The baseline gets the API's exact request (headers and body included), on its own path.
      const reply = await send(baselineServer.url, path, request);
      expectAnswer('the baseline', scenario, reply);
      if (baseline.kind === 'koa' && !sameReply(reply, apiReply)) throw new Error('the bare Koa baseline does not answer the bytes and headers the API does');

      const sides = [sideOf(apiServer, request.path, request), sideOf(baselineServer, path, request)] as const;
      // Figures discarded. V8 keeps optimising for several seconds of load, the API (with far
      // more code than a baseline) longest: a one-second warm-up was seen to leave it compiling
      // through the runs.
      if (timing.warmup > 0) for (const side of sides) await runLoad({ ...side.load, connections: Math.max(...CONCURRENCIES), duration: timing.warmup });
      const result: ScenarioResult = { scenario, api: [], baseline: [] };
      for (const connections of CONCURRENCIES) {
        const [api, base] = await measureConcurrency(sides, connections, timing);
        result.api.push(api);
        result.baseline.push(base);
      }
      return result;
    });
  });
}
