/**
 * `workers: 2`: the real command as a cluster primary in front of a sandbox master process.
 * Requests are served, a killed worker is replaced, SIGTERM to the primary stops everything.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { dump, load } from 'js-yaml';
import request from 'supertest';
import { startCli, startSandboxProcess, type WatchedProcess } from './support/cliProcess.js';
import { waitFor } from './support/wait.js';

const READY = /worker (\d+) ready \(pid (\d+)\)/g;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** pid of every worker that reported ready, in order. */
function readyPids(cli: WatchedProcess): number[] {
  return [...cli.stderr.matchAll(READY)].map((match) => Number(match[2]));
}

/** Write `<dir>/master`: the sandbox's master config with our API section. */
function writeMaster(dir: string, sandboxConfig: string, api: Record<string, unknown>): void {
  const config = load(readFileSync(sandboxConfig, 'utf8')) as Record<string, unknown>;
  config.rest_koa = { ...(config.rest_koa as Record<string, unknown>), host: '127.0.0.1', port: 0, ...api };
  writeFileSync(path.join(dir, 'master'), dump(config));
}

describe('workers (node:cluster)', function () {
  this.timeout(60_000);
  let dir: string;
  let sandbox: WatchedProcess;
  let sandboxConfig: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-workers-'));
    sandboxConfig = path.join(dir, 'sandbox.yaml');
    sandbox = startSandboxProcess(sandboxConfig);
    await waitFor('the sandbox master', () => (existsSync(sandboxConfig) ? true : undefined));
  });
  after(async () => {
    sandbox.child.kill('SIGTERM');
    await sandbox.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  describe('with two workers', () => {
    let cli: WatchedProcess;
    let url: string;
    let token: string;

    before(async () => {
      writeMaster(dir, sandboxConfig, { workers: 2 });
      cli = startCli(dir);
      url = await cli.listening();
    });
    after(async () => {
      if (cli.child.exitCode === null) {
        cli.child.kill('SIGKILL');
        await cli.exited;
      }
    });

    it('forks two worker processes that serve the API', async () => {
      const pids = readyPids(cli);
      expect(pids).to.have.length(2);
      expect(new Set(pids).size).to.equal(2);
      expect(pids).not.to.include(cli.child.pid);
      expect(pids.every(isAlive)).to.equal(true);
      expect(cli.stderr).to.match(/listening on http:\/\/127\.0\.0\.1:\d+ \{"config":"[^"]+","workers":2\}/);

      const login = await request(url).post('/login').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200);
      token = String(login.headers['x-auth-token']);
      // Fresh connections are spread over the workers; a token from one is good at the other.
      for (let i = 0; i < 6; i++) {
        const res = await request(url).post('/').set('Connection', 'close').set('X-Auth-Token', token).send([{ client: 'local', tgt: 'minion-1', fun: 'test.ping' }]);
        expect(res.status, `request ${i}`).to.equal(200);
        expect(res.body).to.deep.equal({ return: [{ 'minion-1': true }] });
      }
    });

    it('replaces a worker that dies', async () => {
      const [victim, survivor] = readyPids(cli) as [number, number];
      process.kill(victim, 'SIGKILL');
      await waitFor('the exit report', () => (cli.stderr.includes(`(pid ${victim}) exited with signal SIGKILL`) ? true : undefined));
      await request(url).get('/').set('Connection', 'close').expect(200);
      const replacement = await waitFor('a new worker', () => readyPids(cli)[2]);
      expect([victim, survivor]).not.to.include(replacement);
      expect(isAlive(victim)).to.equal(false);
      expect(isAlive(survivor)).to.equal(true);
      expect(isAlive(replacement)).to.equal(true);
      for (let i = 0; i < 4; i++) {
        const res = await request(url).get('/minions').set('Connection', 'close').set('X-Auth-Token', token);
        expect(res.status, `request ${i}`).to.equal(200);
      }
    });

    it('stops every worker when the primary gets SIGTERM', async () => {
      const pids = readyPids(cli);
      cli.child.kill('SIGTERM');
      expect(await cli.exited).to.equal(0);
      for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).to.equal(false);
      const error = await request(url).get('/').then(
        () => undefined,
        (caught: Error) => caught,
      );
      expect(error?.message).to.match(/ECONNREFUSED/);
    });
  });

  it('exits 1 when the workers cannot listen', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      writeMaster(dir, sandboxConfig, { workers: 2, port: (blocker.address() as net.AddressInfo).port });
      const cli = startCli(dir);
      expect(await cli.exited).to.equal(1);
      expect(cli.stderr).to.include('EADDRINUSE');
      expect(cli.stderr).to.match(/salt-api-koa: a worker exited with code 1 before it was ready\n$/);
      expect(readyPids(cli)).to.deep.equal([]);
    } finally {
      blocker.close();
    }
  });

  it('keeps workers: 1 in a single process', async () => {
    writeMaster(dir, sandboxConfig, { workers: 1 });
    const cli = startCli(dir);
    try {
      const url = await cli.listening();
      await request(url).get('/').expect(200);
      expect(readyPids(cli)).to.deep.equal([]);
    } finally {
      cli.child.kill('SIGTERM');
      expect(await cli.exited).to.equal(0);
    }
  });
});
