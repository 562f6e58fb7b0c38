/**
 * The deployment files of examples/: the systemd unit passes `systemd-analyze verify`, and the
 * logrotate configuration rotates a running API's access log, whose SIGHUP makes it write to the
 * new file at once.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { projectRoot } from './support/paths.js';
import { sandboxConfigDir } from './support/sandboxConfig.js';
import { waitUntil } from './support/wait.js';

const run = promisify(execFile);
const UNIT = path.join(projectRoot, 'examples/systemd/salt-api-koa.service');
const LOGROTATE = path.join(projectRoot, 'examples/logrotate/salt-api-koa');
const CLI = path.join(projectRoot, 'dist/src/cli.js');

describe('examples/systemd and examples/logrotate', function () {
  this.timeout(30_000);
  let dir: string;
  let sandbox: Sandbox;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-deploy-'));
    sandbox = await startSandbox();
  });
  after(async () => {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the unit runs as the master user, sandboxed, restarted on failure, and systemd-analyze verify finds nothing', async () => {
    const unit = readFileSync(UNIT, 'utf8');
    for (const line of ['User=salt', 'Restart=on-failure', 'ExecReload=/bin/kill -HUP $MAINPID', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'ReadWritePaths=/var/log/salt']) {
      expect(unit.split('\n'), line).to.include(line);
    }
    // verify wants the command to exist: this machine's node and the built CLI stand in for the install path.
    const copy = path.join(dir, 'salt-api-koa.service');
    writeFileSync(copy, unit.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath} ${CLI}`));
    const verified = await run('systemd-analyze', ['verify', copy]);
    expect(verified.stderr).to.equal('');
  });

  it('logrotate rotates the access log of a running API, which writes to the new file after its SIGHUP', async () => {
    const access = path.join(dir, 'api-access.log');
    const config = sandboxConfigDir(sandbox, dir, 'conf', { log_access_file: access });
    const api = spawn(process.execPath, [CLI, '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      let log = '';
      api.stderr.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
      await waitUntil('the API listens', () => /listening on http/.test(log), 10_000);
      const url = /listening on (http:\/\/\S+)/.exec(log)![1]!;
      await fetch(`${url}/?before=rotation`);
      await waitUntil('the first line is written', () => existsSync(access) && readFileSync(access, 'utf8').includes('before=rotation'));

      // The example, with this test's paths and this process instead of the systemd unit.
      const rotation = readFileSync(LOGROTATE, 'utf8')
        .replaceAll('/var/log/salt/', `${dir}/`)
        .replace('create 0640 salt salt', 'create 0640 root root')
        .replace(/systemctl kill [^\n]*/, `kill -HUP ${api.pid!}`);
      writeFileSync(path.join(dir, 'logrotate.conf'), rotation);
      await run('logrotate', ['-f', '-s', path.join(dir, 'logrotate.state'), path.join(dir, 'logrotate.conf')]);
      await waitUntil('the API reopened its log', () => log.includes('SIGHUP received; log file reopened'));

      await fetch(`${url}/?after=rotation`);
      await waitUntil('the new line is in the new file', () => readFileSync(access, 'utf8').includes('after=rotation'));
      expect(readFileSync(access, 'utf8')).to.not.include('before=rotation');
      expect(readFileSync(`${access}.1`, 'utf8')).to.include('before=rotation');
    } finally {
      api.kill('SIGTERM');
    }
  });
});
