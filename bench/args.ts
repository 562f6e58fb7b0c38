/** The bench's command line. */
import { parseArgs } from 'node:util';
import { SCENARIOS, SCENARIO_IDS, type Scenario } from './scenarios.js';

/** The parts of the bench beside the scenario table; each starts its own processes. */
export const SUITES = ['events', 'hardening', 'metrics', 'operations'] as const;
export type Suite = (typeof SUITES)[number];

export const USAGE = `Usage: npm run bench -- [options]

Runs every scenario against the API and against its baseline at concurrency 1 and 32.

Options:
  --duration S     seconds of one measured run (default 2)
  --rounds N       measured runs per server and concurrency, alternating between the
                   API and its baseline (default 3); with --fleet, passes per case;
                   for operations, rounds of each scenario (default 16)
  --warmup S       seconds of discarded load at concurrency 32 on each server process
                   before its runs, for the JIT to settle (default 4; 0 = none)
  --only NAME      run only these parts; repeat or separate with commas: a scenario
                   (${SCENARIO_IDS.join(', ')}), or ${SUITES.join(', ')}
                   (1,000 /events clients and a 10,000-event burst; hostile input,
                   slowloris, bursts, master down; the cost of metrics and of a
                   scrape; the cost of metrics, audit trail and auth throttling
                   together on login and local_async)
  --soak N         run mixed traffic for N minutes instead, printing RSS and event-loop
                   delay at the start, middle and end
  --fleet N,M,…    instead, measure local grains.items (JSON and YAML), GET /jobs/<jid>
                   of it and GET /minions against sandboxes of N, M, … minions: latency,
                   the API's CPU time, longest event-loop block, bytes and peak RSS, with
                   the growth exponent from the smallest fleet to the largest
  --return-window S
                   with --fleet: the sandbox spreads each job's returns over S seconds,
                   as a real fleet answers (default 0: all at once, the API's worst case)
  --cpu-prof DIR   write a V8 CPU profile of every API and baseline process to DIR
  -h, --help       print this help
`;

/** Measured runs per server and concurrency, and fleet passes, unless --rounds says otherwise. */
export const DEFAULT_ROUNDS = 3;

export interface BenchOptions {
  duration: number;
  /** As given; each part has its own default. */
  rounds?: number;
  warmup: number;
  scenarios: Scenario[];
  suites: Suite[];
  /** Minutes of soak; when set, the soak is all that runs. */
  soakMinutes?: number;
  /** Fleet sizes, smallest first; when set, the fleet bench is all that runs. */
  fleet?: number[];
  /** Seconds over which the fleet bench's sandbox spreads a job's returns. */
  returnWindow: number;
  cpuProfDir?: string;
}

/** A bad command line; the message is meant for the user, with the usage. */
export class UsageError extends Error {}

function seconds(name: string, text: string | undefined, fallback: number, min: number, unit = 'seconds'): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) throw new UsageError(`--${name}: expected a number of ${unit} ≥ ${min}, got ${JSON.stringify(text)}`);
  return value;
}

/** A whole number ≥ 1, or undefined when the option was not given (each part then has its own default). */
function count(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name}: expected a whole number ≥ 1, got ${JSON.stringify(text)}`);
  return value;
}

function chosenParts(only: string[] | undefined): { scenarios: Scenario[]; suites: Suite[] } {
  if (only === undefined) return { scenarios: [...SCENARIOS], suites: [...SUITES] };
  const names = new Set(only.flatMap((item) => item.split(',')).map((name) => name.trim()));
  const known: string[] = [...SCENARIO_IDS, ...SUITES];
  const unknown = [...names].filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new UsageError(`--only: unknown part ${unknown.join(', ')} (known: ${known.join(', ')})`);
  return {
    scenarios: SCENARIOS.filter((scenario) => names.has(scenario.id)),
    suites: SUITES.filter((suite) => names.has(suite)),
  };
}

function readArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: 'string' },
        rounds: { type: 'string' },
        warmup: { type: 'string' },
        only: { type: 'string', multiple: true },
        soak: { type: 'string' },
        fleet: { type: 'string' },
        'return-window': { type: 'string' },
        'cpu-prof': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function fleetSizes(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const sizes = text.split(',').map((item) => item.trim());
  const counts = sizes.map((item) => (/^\d+$/.test(item) ? Number(item) : NaN));
  if (counts.some((n) => !Number.isSafeInteger(n) || n < 1)) throw new UsageError(`--fleet: expected minion counts ≥ 1 separated by commas, got ${JSON.stringify(text)}`);
  return [...new Set(counts)].sort((a, b) => a - b);
}

/** The options, or undefined when only the help was asked for. */
export function parseOptions(argv: string[]): BenchOptions | undefined {
  const values = readArgs(argv);
  if (values.help) return undefined;
  return {
    // autocannon stops on its one-second sampling tick, so less than a second is not a run.
    duration: seconds('duration', values.duration, 2, 1),
    rounds: count('rounds', values.rounds),
    warmup: seconds('warmup', values.warmup, 4, 0),
    ...chosenParts(values.only),
    soakMinutes: values.soak === undefined ? undefined : seconds('soak', values.soak, 0, 0.1, 'minutes'),
    fleet: fleetSizes(values.fleet),
    returnWindow: seconds('return-window', values['return-window'], 0, 0),
    cpuProfDir: values['cpu-prof'],
  };
}
