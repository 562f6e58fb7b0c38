/**
 * Stopping and log rotation of the real command (`salt-api-koa --sandbox`): SIGTERM stops
 * accepting, lets in-flight requests finish, ends event streams with a last comment and exits 0;
 * requests past `shutdown_grace` are cut; SIGHUP reopens the log file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { startHarness, login } from './support/harness.js';
import { openSse } from './support/sseClient.js';
import { waitUntil } from './support/wait.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

interface Running {
  child: ChildProcess;
  url: string;
  /** Its log so far (stderr, or the log file). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Start the command on a free loopback port and wait for its "listening on" line, read from
 * stderr or, with `logFile`, from that file.
 */
async function startCli(logFile?: string): Promise<Running> {
  const args = [CLI, '--sandbox', '--port', '0', '--host', '127.0.0.1', ...(logFile ? ['--log-file', logFile] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (stderr += chunk));
  const output = () => (logFile === undefined ? stderr : existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  for (let i = 0; i < 200; i++) {
    const url = /listening on (http:\/\/\S+)/.exec(output())?.[1];
    if (url) return { child, url, output, exited };
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`the command did not start:\n${stderr}${output()}`);
}

function connects(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function cliLogin(url: string): Promise<string> {
  const res = await fetch(new URL('/login', url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }),
  });
  const token = res.headers.get('x-auth-token');
  if (res.status !== 200 || token === null) throw new Error(`login failed: ${res.status}`);
  return token;
}

describe('signals', function () {
  this.timeout(20_000);

  it('SIGTERM: stops accepting, finishes the in-flight request, ends event streams with a comment, exits 0', async () => {
    const api = await startCli();
    try {
      const token = await cliLogin(api.url);
      const stream = await openSse(api.url, `/events?token=${token}`);
      const slow = fetch(new URL('/', api.url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token },
        body: JSON.stringify([{ client: 'runner', fun: 'test.sleep', arg: [1] }]),
      });
      await stream.waitFor((text) => text.includes('runner.test.sleep'));
      api.child.kill('SIGTERM');
      await sleep(200);
      expect(await connects(api.url), 'new connections during shutdown').to.equal(false);
      const res = await slow;
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ return: [true] });
      expect(res.headers.get('connection')).to.equal('close');
      expect(await stream.ended).to.match(/: closing: server shutting down\n\n$/);
      expect(await api.exited).to.deep.equal({ code: 0, signal: null });
      expect(api.output()).to.include('SIGTERM received; shutting down');
    } finally {
      api.child.kill('SIGKILL');
    }
  });

  it('cuts requests still running when shutdown_grace is over', async () => {
    const h = await startHarness({ api: { shutdown_grace: 0.5 } });
    const token = await login(h);
    const asked = h.sandbox.requests.length;
    const slow = fetch(new URL('/', h.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token },
      body: JSON.stringify([{ client: 'runner', fun: 'test.sleep', arg: [5] }]),
    }).then(
      (res) => `answered ${res.status}`,
      () => 'cut',
    );
    // The request is in flight once its runner reached the master: only then is "cut" the grace's doing.
    await waitUntil('the runner reached the master', () => h.sandbox.requests.slice(asked).some((load) => load.cmd === 'runner' && load.fun === 'test.sleep'));
    const started = Date.now();
    await h.close();
    expect(Date.now() - started).to.be.below(3000);
    expect(await slow).to.equal('cut');
  });

  it('SIGHUP reopens the log file, so it can be rotated', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-signals-'));
    const log = path.join(dir, 'api.log');
    const api = await startCli(log);
    try {
      renameSync(log, `${log}.1`);
      api.child.kill('SIGHUP');
      for (let i = 0; i < 100 && !(existsSync(log) && readFileSync(log, 'utf8').includes('log file reopened')); i++) await sleep(50);
      expect(readFileSync(log, 'utf8')).to.include('SIGHUP received; log file reopened');
      expect(readFileSync(`${log}.1`, 'utf8')).to.include('listening on');
      api.child.kill('SIGTERM');
      expect(await api.exited).to.deep.equal({ code: 0, signal: null });
    } finally {
      api.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
