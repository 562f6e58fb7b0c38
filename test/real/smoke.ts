/**
 * Smoke check of the real-Salt harness: for each Salt source tree, start a master and a minion,
 * print the version, start-up times and the master's sock_dir, run test.ping through Salt's own
 * LocalClient, stop, and check that no Salt process is left.
 *
 *   node dist/test/real/smoke.js [--salt-src DIR]... [--minions N] [--keep]
 *
 * Without --salt-src, every tree under $SALT_SRC_ROOT (default /tmp/salt-src) is tried, e.g. the
 * four that test/real/export-salt.sh exports. Ends with `N passed, N failed`; exit 1 on a failure.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type RealSalt, startRealSalt } from './saltMaster.js';
import { processesUsing } from './processes.js';
import { defaultTrees } from './trees.js';

function fileType(stats: Stats): string {
  if (stats.isSocket()) return 's';
  if (stats.isDirectory()) return 'd';
  if (stats.isSymbolicLink()) return 'l';
  return stats.isFile() ? '-' : '?';
}

/** `ls -l` style type and permission bits, e.g. `srw-rw----`. */
function modeString(stats: Stats): string {
  const bits = 'rwxrwxrwx';
  let permissions = '';
  for (let index = 0; index < 9; index++) permissions += stats.mode & (0o400 >> index) ? bits[index] : '-';
  return fileType(stats) + permissions;
}

async function describeDir(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).sort();
  return Promise.all(
    names.map(async (name) => {
      const stats = await lstat(path.join(dir, name));
      return `  ${modeString(stats)} ${String(stats.size).padStart(6)} ${name}`;
    }),
  );
}

async function exercise(salt: RealSalt): Promise<void> {
  console.log(`version: ${salt.version}`);
  console.log(`ready: master ${salt.timings.masterMs} ms, minions answering ${salt.timings.minionsMs} ms`);
  console.log(`config: -c ${salt.configDir}  ret_port ${salt.retPort}  publish_port ${salt.publishPort}`);
  console.log(`sock_dir ${salt.sockDir}:`);
  for (const line of await describeDir(salt.sockDir)) console.log(line);
  const pong = await salt.localCmd('*', 'test.ping');
  console.log(`test.ping: ${JSON.stringify(pong)}`);
  const missing = salt.minionIds.filter((id) => pong[id] !== true);
  if (missing.length > 0) throw new Error(`no pong from ${missing.join(', ')}`);
}

async function smoke(saltSrc: string, minions: number, keepRootDir: boolean): Promise<boolean> {
  console.log(`\n=== ${saltSrc}`);
  let salt: RealSalt | undefined;
  try {
    salt = await startRealSalt({ saltSrc, minions, ...(keepRootDir ? { keepRootDir } : {}) });
    await exercise(salt);
    const stopStarted = Date.now();
    await salt.stop();
    const leftovers = await processesUsing(salt.rootDir);
    console.log(`stopped in ${Date.now() - stopStarted} ms; leftover processes: ${leftovers.length ? leftovers.join(' ') : 'none'}`);
    if (leftovers.length > 0) throw new Error('Salt processes outlived stop()');
    console.log('PASS');
    return true;
  } catch (error) {
    console.log(salt ? salt.logs(40) : '');
    await salt?.stop().catch(() => undefined);
    console.log(`FAIL: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'salt-src': { type: 'string', multiple: true },
      minions: { type: 'string', default: '1' },
      keep: { type: 'boolean', default: false },
    },
  });
  const trees = values['salt-src'] ?? (await defaultTrees());
  if (trees.length === 0) {
    console.log('no Salt source trees: pass --salt-src DIR or run test/real/export-salt.sh');
    process.exitCode = 1;
    return;
  }
  let passed = 0;
  for (const tree of trees) if (await smoke(tree, Number(values.minions), values.keep)) passed++;
  console.log(`\n${passed} passed, ${trees.length - passed} failed`);
  process.exitCode = passed === trees.length ? 0 : 1;
}

await main();
