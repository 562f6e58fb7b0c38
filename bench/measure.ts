/**
 * One scenario from start to figures: the API process, then its baseline process, each checked
 * with one request, then loaded at every concurrency, with its RSS read after each run.
 */
import { cpuMs, residentMiB, type ProcessGroup } from './children.js';
import { runLoad, type LoadFigures } from './load.js';
import { login, replyJson, send, type Reply } from './probe.js';
import type { HttpRequest, Scenario } from './scenarios.js';
import { sameReply, startApi, startKoaBaseline, startMasterBaseline, type Profiling, type Server } from './servers.js';

export const CONCURRENCIES = [1, 32] as const;

export interface Timing {
  /** Seconds measured per run. */
  duration: number;
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
  /** CPU time the server process spent per request during the measured run. */
  cpuUsPerRequest: number;
  rssMiB: number;
}

export interface ScenarioResult {
  scenario: Scenario;
  api: Measurement[];
  baseline: Measurement[];
}

async function measureServer(server: Server, path: string, request: HttpRequest, timing: Timing): Promise<Measurement[]> {
  const { pid } = server.child;
  const load = { url: new URL(path, server.url).href, method: request.method, headers: request.headers, body: request.body };
  // Figures discarded. V8 keeps optimising for several seconds of load, the API (with far more code
  // than a baseline) longest: a one-second warm-up was seen to leave it compiling through the runs.
  if (timing.warmup > 0) await runLoad({ ...load, connections: Math.max(...CONCURRENCIES), duration: timing.warmup });
  const measurements: Measurement[] = [];
  for (const connections of CONCURRENCIES) {
    const cpuBefore = await cpuMs(pid);
    const figures = await runLoad({ ...load, connections, duration: timing.duration });
    const cpuUsPerRequest = (((await cpuMs(pid)) - cpuBefore) * 1000) / figures.requests;
    measurements.push({ connections, figures, cpuUsPerRequest, rssMiB: await residentMiB(pid) });
  }
  return measurements;
}

/**
 * Only one server runs at a time beside the sandbox: every process subscribed to the master's
 * event bus decodes every event, so an idle one would eat CPU from the one being measured.
 */
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

export async function benchScenario(context: BenchContext, scenario: Scenario): Promise<ScenarioResult> {
  const { group, configDir, timing, cpuProfDir } = context;
  const profiling = (side: string): Profiling | undefined => (cpuProfDir === undefined ? undefined : { dir: cpuProfDir, name: `${side}-${scenario.id}` });

  const api = await withServer(startApi(group, configDir, profiling('api')), async (server) => {
    const token = scenario.needsToken ? await login(server.url) : undefined;
    const request = scenario.request(token);
    const reply = await send(server.url, request.path, request);
    expectAnswer('the API', scenario, reply);
    return { request, reply, measurements: await measureServer(server, request.path, request, timing) };
  });

  const { baseline } = scenario;
  const starting =
    baseline.kind === 'koa'
      ? startKoaBaseline(group, api.reply, profiling('koa'))
      : startMasterBaseline(group, configDir, profiling('baseline'));
  const path = baseline.kind === 'koa' ? api.request.path : `/${baseline.call}`;
  // The baseline gets the API's exact request (headers and body included), on its own path.
  const measurements = await withServer(starting, async (server) => {
    const reply = await send(server.url, path, api.request);
    expectAnswer('the baseline', scenario, reply);
    if (baseline.kind === 'koa' && !sameReply(reply, api.reply)) throw new Error('the bare Koa baseline does not answer the bytes and headers the API does');
    return measureServer(server, path, api.request, timing);
  });

  return { scenario, api: api.measurements, baseline: measurements };
}
