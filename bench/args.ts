/** The bench's command line. */
import { parseArgs } from 'node:util';
import { SCENARIOS, SCENARIO_IDS, type Scenario } from './scenarios.js';

export const USAGE = `Usage: npm run bench -- [options]

Runs every scenario against the API and against its baseline at concurrency 1 and 32.

Options:
  --duration S     seconds measured per run (default 5)
  --warmup S       seconds of discarded load at concurrency 32 on each server process
                   before its runs, for the JIT to settle (default 4; 0 = none)
  --only NAME      run only this scenario; repeat or separate with commas
                   (${SCENARIO_IDS.join(', ')})
  --cpu-prof DIR   write a V8 CPU profile of every API and baseline process to DIR
  -h, --help       print this help
`;

export interface BenchOptions {
  duration: number;
  warmup: number;
  scenarios: Scenario[];
  cpuProfDir?: string;
}

/** A bad command line; the message is meant for the user, with the usage. */
export class UsageError extends Error {}

function seconds(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) throw new UsageError(`--${name}: expected a number of seconds ≥ ${min}, got ${JSON.stringify(text)}`);
  return value;
}

function chosenScenarios(only: string[] | undefined): Scenario[] {
  if (only === undefined) return [...SCENARIOS];
  const names = new Set(only.flatMap((item) => item.split(',')).map((name) => name.trim()));
  const unknown = [...names].filter((name) => !SCENARIOS.some((scenario) => scenario.id === name));
  if (unknown.length > 0) throw new UsageError(`--only: unknown scenario ${unknown.join(', ')} (known: ${SCENARIO_IDS.join(', ')})`);
  return SCENARIOS.filter((scenario) => names.has(scenario.id));
}

function readArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: 'string' },
        warmup: { type: 'string' },
        only: { type: 'string', multiple: true },
        'cpu-prof': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** The options, or undefined when only the help was asked for. */
export function parseOptions(argv: string[]): BenchOptions | undefined {
  const values = readArgs(argv);
  if (values.help) return undefined;
  return {
    // autocannon stops on its one-second sampling tick, so less than a second is not a run.
    duration: seconds('duration', values.duration, 5, 1),
    warmup: seconds('warmup', values.warmup, 4, 0),
    scenarios: chosenScenarios(values.only),
    cpuProfDir: values['cpu-prof'],
  };
}
