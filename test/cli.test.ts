/** The salt-api-koa command as a child process: --version, --help and refusing bad configuration. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { portAccepts, freePort } from './support/sockets.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 15_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}


describe('salt-api-koa command', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-cli-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('--version prints the package version', async () => {
    const result = await run(['--version']);
    expect(result).to.deep.equal({ code: 0, stdout: `salt-api-koa ${PACKAGE.version}\n`, stderr: '' });
  });

  it('--help lists every flag', async () => {
    const result = await run(['-h']);
    expect(result.code).to.equal(0);
    expect(result.stderr).to.equal('');
    for (const flag of ['-c, --config-dir', '--sandbox', '--sandbox-release', '--sandbox-minions', '--port', '--host', '-l, --log-level', '--log-file', '--version', '-h, --help']) {
      expect(result.stdout).to.include(flag);
    }
    expect((await run(['--help'])).stdout).to.equal(result.stdout);
  });

  it('refuses a bad config with one line naming the option, exit 2, and nothing listening', async () => {
    const port = await freePort();
    writeFileSync(
      path.join(dir, 'master'),
      `rest_koa:\n  port: ${port}\n  host: 127.0.0.1\n  disable_ssl: true\n  thread_pool: many\n  not_an_option: 1\n`,
    );
    const result = await run(['-c', dir]);
    expect(result.code).to.equal(2);
    expect(result.stdout).to.equal('');
    expect(result.stderr).to.equal('salt-api-koa: rest_koa.thread_pool: expected an integer >= 1, got "many"\n');
    expect(await portAccepts(port)).to.equal(false);
  });

  it('refuses a missing config directory', async () => {
    const missing = path.join(dir, 'nowhere');
    const result = await run(['--config-dir', missing]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.equal(`salt-api-koa: cannot read ${missing} (ENOENT)\n`);
  });

  it('refuses bad flags with one line and exit 2', async () => {
    for (const [args, message] of [
      [['--port', 'http'], '--port: expected an integer 0-65535, got "http"'],
      [['-l', 'loud'], '--log-level: expected one of error, warning, info, debug, trace, got "loud"'],
      [['--sandbox', '-c', dir], '--sandbox and --config-dir exclude each other'],
      [['--sandbox', '--sandbox-release', '3009.1'], '--sandbox-release: unknown Salt release "3009.1": expected 3006.N, 3007.N or 3008.N'],
    ] as const) {
      const result = await run([...args]);
      expect(result.code, args.join(' ')).to.equal(2);
      expect(result.stderr).to.equal(`salt-api-koa: ${message}\n`);
    }
    const unknown = await run(['--frobnicate']);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.match(/^salt-api-koa: Unknown option '--frobnicate'.*\(see --help\)\n$/);
  });
});
