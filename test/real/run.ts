/**
 * `npm run test:salt -- [--salt-src DIR]... [--grep PATTERN]`: run salt-api.real.ts with mocha
 * against real Salt masters, one per Salt source tree (default: every tree under $SALT_SRC_ROOT,
 * /tmp/salt-src). Prints mocha's report, a summary per release, and last a line
 * `N passed, N failed`; exits 1 when anything failed (a failed start-up or stop included).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Mocha from 'mocha';
import { ReleaseTally, formatTable } from './tally.js';
import { TREES_ENV, defaultTrees, saltSrcRoot } from './trees.js';

const SUITE_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'salt-api.real.js');
/** A real minion answers within a second or two; the slowest test waits on a few jobs in a row. */
const TEST_TIMEOUT_MS = 60_000;

function usage(): never {
  console.error('usage: run.js [--salt-src DIR]... [--grep PATTERN]');
  process.exit(2);
}

function parseCommandLine(): { trees?: string[]; grep?: string } {
  try {
    const { values } = parseArgs({ options: { 'salt-src': { type: 'string', multiple: true }, grep: { type: 'string' } } });
    return { trees: values['salt-src']?.map((tree) => path.resolve(tree)), grep: values.grep };
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return usage();
  }
}

/** Run mocha once over every tree; resolves with the tally per release once mocha has reported. */
async function runMocha(trees: string[], grep: string | undefined): Promise<ReleaseTally> {
  process.env[TREES_ENV] = JSON.stringify(trees);
  const mocha = new Mocha({ reporter: 'spec', timeout: TEST_TIMEOUT_MS, ...(grep ? { grep } : {}) });
  mocha.addFile(SUITE_FILE);
  await mocha.loadFilesAsync();
  const tally = new ReleaseTally();
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    tally.follow(runner, (line) => console.log(line));
  });
  return tally;
}

async function main(): Promise<number> {
  const args = parseCommandLine();
  const trees = args.trees ?? (await defaultTrees());
  if (trees.length === 0) {
    console.log(`no Salt source trees under ${saltSrcRoot()}: pass --salt-src DIR or run test/real/export-salt.sh`);
    console.log('0 passed, 0 failed');
    return 1;
  }
  const tally = await runMocha(trees, args.grep);
  console.log(`\n${formatTable(tally.releases())}`);
  const { passed, failed } = tally.totals();
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

// Exit explicitly, as mocha's `exit: true` does: a stray handle must not keep the run alive, and
// processGroups.ts's exit hook then kills any Salt process group still alive.
process.exit(await main());
