/**
 * `npm run bench`: the API and its baselines under autocannon load, each in its own process
 * beside a sandbox master in another, on loopback. See `--help` (bench/args.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ROUNDS, USAGE, UsageError, parseOptions, type BenchOptions, type Suite } from './args.js';
import { benchEvents, formatEventsBench } from './events.js';
import { benchFleet, formatFleet } from './fleet.js';
import { benchHardening, formatHardening } from './hardening.js';
import { benchOperations, formatOperations } from './operations.js';
import { benchMetrics, formatMetricsBench } from './metrics.js';
import { benchSoak, formatSoak } from './soak.js';
import { ProcessGroup } from './children.js';
import { describeMachine } from './machine.js';
import { benchScenario, type ScenarioResult } from './measure.js';
import { TABLE_HEAD, header, tableRows, verdict } from './report.js';
import { startSandbox } from './servers.js';
import { MINIONS } from './workload.js';

const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };
/** Set on SIGINT/SIGTERM: the run then fails because its servers are being stopped, which is no error to report. */
let interrupted = false;

const SUITE_RUNNERS: Record<Suite, (options: BenchOptions) => Promise<string>> = {
  events: async () => formatEventsBench(await benchEvents()),
  hardening: async () => formatHardening(await benchHardening()),
  metrics: async () => formatMetricsBench(await benchMetrics()),
  operations: async (options) => formatOperations(await benchOperations(options)),
};

async function bench(options: BenchOptions, group: ProcessGroup, configDir: string): Promise<boolean> {
  if (options.soakMinutes !== undefined) {
    console.log(formatSoak(await benchSoak({ minutes: options.soakMinutes })));
    return true;
  }
  if (options.fleet !== undefined) {
    const result = await benchFleet(group, configDir, { sizes: options.fleet, passes: options.rounds ?? DEFAULT_ROUNDS, returnWindow: options.returnWindow });
    console.log(formatFleet(result));
    return result.cases.every((figures) => figures.failures.length === 0);
  }
  const clean = options.scenarios.length > 0 ? await benchScenarios(options, group, configDir) : true;
  for (const suite of options.suites) console.log(`\n${await SUITE_RUNNERS[suite](options)}`);
  return clean;
}

async function benchScenarios(options: BenchOptions, group: ProcessGroup, configDir: string): Promise<boolean> {
  const started = performance.now();
  const timing = { duration: options.duration, rounds: options.rounds ?? DEFAULT_ROUNDS, warmup: options.warmup };
  console.log(header(describeMachine(), timing, MINIONS));
  await startSandbox(group, configDir, MINIONS);
  console.log(`\n${TABLE_HEAD}`);
  const results: ScenarioResult[] = [];
  for (const scenario of options.scenarios) {
    const result = await benchScenario({ group, configDir, timing, cpuProfDir: options.cpuProfDir }, scenario);
    console.log(tableRows(result));
    results.push(result);
  }
  const { text, clean } = verdict(results, (performance.now() - started) / 1000);
  console.log(`\n${text}`);
  return clean;
}

async function main(): Promise<number> {
  let options: BenchOptions | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  const group = new ProcessGroup();
  const configDir = await mkdtemp(join(tmpdir(), 'salt-api-koa-bench-'));
  const cleanUp = async (): Promise<void> => {
    await group.stopAll();
    await rm(configDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      process.stderr.write(`\nbench: ${signal}; stopping its processes\n`);
      void cleanUp().finally(() => process.exit(SIGNAL_EXIT[signal]));
    });
  }
  try {
    return (await bench(options, group, configDir)) ? 0 : 1;
  } finally {
    await cleanUp();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // The signal handler exits once the cleanup is done.
    if (interrupted) return;
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
