/**
 * The release matrix of `npm test`: plain `mocha` runs the whole suite against the sandbox of the
 * newest release; this runs the contract suite (every test of what the API says to clients and
 * to the master) again against the sandbox of each older release generation, so a regression on
 * any supported Salt release fails `npm test`.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { DEFAULT_RELEASE, RELEASE_GENERATIONS } from '../src/salt/releases.js';
import { projectRoot } from './support/paths.js';

/** The suites whose expectations depend on the master's wire behaviour. */
const CONTRACT_SUITES = [
  'capture-replay', 'events', 'health', 'hook', 'keys', 'local', 'master-faults', 'minions-jobs', 'npm-client', 'openapi', 'pepper',
  'root-login', 'run-token', 'runner-wheel', 'sandbox', 'security', 'ws',
];

const mocha = path.join(projectRoot, 'node_modules/mocha/bin/mocha.js');
const files = CONTRACT_SUITES.map((name) => path.join(projectRoot, `dist/test/${name}.test.js`));
const failed: string[] = [];

for (const release of RELEASE_GENERATIONS.filter((r) => r !== DEFAULT_RELEASE)) {
  console.log(`\n=== contract suite against the sandbox of Salt ${release}`);
  const strict = process.env.FORBID_PENDING === '1' ? ['--forbid-pending'] : [];
  const run = spawnSync(process.execPath, [mocha, '--no-config', '--timeout', '20000', '--exit', '--reporter', 'dot', ...strict, ...files], {
    cwd: projectRoot,
    env: { ...process.env, SALT_RELEASE: release },
    stdio: 'inherit',
  });
  if (run.status !== 0) failed.push(release);
}

if (failed.length > 0) {
  console.error(`\ncontract suite failed against Salt ${failed.join(', ')}`);
  process.exit(1);
}
