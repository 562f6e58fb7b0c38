/**
 * Run a sandbox master as its own process (benchmarks, `npm start` without a real master):
 *
 *   node dist/src/sandbox/main.js [--minions N] [--return-window S] [--release 3006.27] [--config-out FILE]
 *
 * `--minions N` simulates minion-1 … minion-N; `--return-window S` spreads each job's returns over S seconds.
 *
 * The master config is written as YAML to FILE (atomically, so a reader never sees half of it) or
 * printed as one line of JSON on stdout. Runs until SIGTERM or SIGINT.
 */
import { rename, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { dump } from 'js-yaml';
import { startSandbox } from './index.js';
import { saltRelease } from '../salt/releases.js';

const { values } = parseArgs({
  options: {
    minions: { type: 'string' },
    'return-window': { type: 'string' },
    release: { type: 'string' },
    'config-out': { type: 'string' },
  },
});

const minions = values.minions === undefined ? undefined : Number(values.minions);
if (minions !== undefined && (!Number.isInteger(minions) || minions < 0)) {
  console.error(`--minions expects a non-negative integer, got ${values.minions}`);
  process.exit(2);
}

const returnWindow = values['return-window'] === undefined ? undefined : Number(values['return-window']);
if (returnWindow !== undefined && !(Number.isFinite(returnWindow) && returnWindow >= 0)) {
  console.error(`--return-window expects a non-negative number of seconds, got ${values['return-window']}`);
  process.exit(2);
}

let release: string | undefined;
try {
  release = values.release === undefined ? undefined : saltRelease(values.release).version;
} catch (error) {
  console.error(`--release: ${(error as Error).message}`);
  process.exit(2);
}

// A long-running master would only grow the request/execution logs meant for tests.
const sandbox = await startSandbox({ minions, release, returnWindow, record: false });

const out = values['config-out'];
if (out === undefined) {
  process.stdout.write(`${JSON.stringify(sandbox.config)}\n`);
} else {
  await writeFile(`${out}.tmp`, dump(sandbox.config), { mode: 0o600 });
  await rename(`${out}.tmp`, out);
}

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  sandbox.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('salt sandbox: stop failed:', error);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
