/**
 * salt-api's log files: `log_access_file` gets one CherryPy-style line per answered request,
 * `log_error_file` gets the API's log when `--log-file` is not given; SIGHUP reopens both, and a
 * file that cannot be opened stops start-up with one line naming the option.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import request from 'supertest';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { accessTime } from '../src/accessLog.js';
import { RELEASE } from './support/release.js';
import { startHarness, login } from './support/harness.js';
import { openSse } from './support/sseClient.js';
import { sandboxConfigDir } from './support/sandboxConfig.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
/** CherryPy's access line, then the request's `"X-Request-Id"` (group 8). */
const ACCESS_LINE = /^(\S+) - - (\[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2}\]) "([^"\\]*(?:\\.[^"\\]*)*)" (\d{3}) (\d+|-) "(.*)" "(.*)" "([0-9a-f-]{36})"$/;

/** The file's lines once it has at least `count` of them (lines are written as answers close). */
async function linesOf(file: string, count: number): Promise<string[]> {
  let lines: string[] = [];
  for (let i = 0; i < 100; i++) {
    lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    if (lines.length >= count) break;
    await sleep(20);
  }
  return lines;
}

describe('log_access_file', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-access-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one CherryPy access line per answer: host, time, request line, status, bytes, referer, agent', async () => {
    const file = path.join(dir, 'access.log');
    const h = await startHarness({ api: { log_access_file: file } });
    try {
      const token = await login(h);
      const welcome = await h.http.get('/?a=1').set('Referer', 'http://console/').set('User-Agent', 'curl/8.5.0').expect(200);
      await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'local', tgt: '*', fun: 'test.ping' }]).expect(200);
      await h.http.get('/nowhere').set('User-Agent', 'say "hi"\\\tx').expect(404);
      await h.http.post('/').send([{ client: 'local', tgt: '*', fun: 'test.ping' }]).expect(401);

      const lines = await linesOf(file, 5);
      expect(lines).to.have.length(5);
      const parsed = lines.map((line) => ACCESS_LINE.exec(line));
      expect(parsed.every(Boolean), lines.join('\n')).to.equal(true);
      const [loginLine, welcomeLine, jobLine, missingLine, refusedLine] = parsed as RegExpExecArray[];
      expect(loginLine!.slice(1, 2).concat(loginLine!.slice(3, 5))).to.deep.equal(['127.0.0.1', 'POST /login HTTP/1.1', '200']);
      expect(welcomeLine!.slice(3)).to.deep.equal(['GET /?a=1 HTTP/1.1', '200', welcome.headers['content-length'], 'http://console/', 'curl/8.5.0', welcome.headers['x-request-id']]);
      expect(jobLine!.slice(3, 5)).to.deep.equal(['POST / HTTP/1.1', '200']);
      // Client text is escaped, so a header cannot forge a second line or break the quoting.
      expect(missingLine!.slice(3, 5)).to.deep.equal(['GET /nowhere HTTP/1.1', '404']);
      expect(missingLine![7]).to.equal('say \\"hi\\"\\\\\\x09x');
      expect(refusedLine!.slice(3, 5)).to.deep.equal(['POST / HTTP/1.1', '401']);
      // Local time, to the second, as CherryPy writes it.
      const stamp = Date.parse(loginLine![2]!.replace(/^\[(\d+)\/(\w+)\/(\d+):(.*)\]$/, '$2 $1 $3 $4'));
      expect(Math.abs(Date.now() - stamp)).to.be.below(60_000);
      expect(accessTime(new Date(2026, 10, 7, 9, 5, 3))).to.equal('[07/Nov/2026:09:05:03]');

      // A client that leaves before the answer: logged as nginx does (499), nothing sent.
      const leaving = new AbortController();
      const slow = fetch(new URL('/', h.url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token },
        body: JSON.stringify([{ client: 'runner', fun: 'test.sleep', arg: [1] }]),
        signal: leaving.signal,
      }).catch(() => 'left');
      await sleep(200);
      leaving.abort();
      expect(await slow).to.equal('left');
      const [, , , , , left] = await linesOf(file, 6);
      expect(ACCESS_LINE.exec(left ?? '')?.slice(3, 6)).to.deep.equal(['POST / HTTP/1.1', '499', '-']);
    } finally {
      await h.close();
    }
  });

  it('never writes a token that came in the URL (/events?token=, ?salt_token=, /ws/<token>)', async () => {
    const file = path.join(dir, 'access-redacted.log');
    const h = await startHarness({ api: { log_access_file: file } });
    try {
      const token = await login(h);
      for (const target of [`/events?token=${token}`, `/events?tag=x&salt_token=${token}`]) {
        const stream = await openSse(h.url, target);
        expect(stream.status).to.equal(200);
        stream.close();
      }
      // Without an upgrade there is no WebSocket to answer; the URL is logged all the same.
      await h.http.get(`/ws/${token}`).expect(404);
      const lines = await linesOf(file, 4);
      expect(lines.join('\n')).to.not.include(token);
      expect(lines.slice(1).map((line) => ACCESS_LINE.exec(line)?.[3])).to.deep.equal([
        'GET /events?token=REDACTED HTTP/1.1',
        'GET /events?tag=x&salt_token=REDACTED HTTP/1.1',
        'GET /ws/REDACTED HTTP/1.1',
      ]);
    } finally {
      await h.close();
    }
  });
});

describe('log files of the salt-api-koa command', () => {
  let sandbox: Sandbox;
  let dir: string;
  before(async () => {
    sandbox = await startSandbox({ release: RELEASE.version });
    dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-logs-'));
  });
  after(async () => {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(config: string, errorLog: string): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
    const child = spawn(process.execPath, [CLI, '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (stderr += chunk));
    for (let i = 0; i < 200; i++) {
      const url = existsSync(errorLog) ? /listening on (http:\/\/\S+)/.exec(readFileSync(errorLog, 'utf8'))?.[1] : undefined;
      if (url) return { child, url, stderr: () => stderr };
      if (child.exitCode !== null) break;
      await sleep(50);
    }
    child.kill('SIGKILL');
    throw new Error(`the command did not start:\n${stderr}`);
  }

  it('logs to log_error_file instead of stderr, and SIGHUP reopens both files', async () => {
    const access = path.join(dir, 'access.log');
    const errors = path.join(dir, 'error.log');
    const api = await start(sandboxConfigDir(sandbox, dir, 'both', { log_access_file: access, log_error_file: errors }), errors);
    try {
      expect(api.stderr()).to.equal('');
      await request(api.url).get('/').expect(200);
      expect(await linesOf(access, 1)).to.have.length(1);

      renameSync(access, `${access}.1`);
      renameSync(errors, `${errors}.1`);
      api.child.kill('SIGHUP');
      expect((await linesOf(errors, 1)).join('\n')).to.include('SIGHUP received; log file reopened');
      await request(api.url).get('/nowhere').expect(404);
      const [line] = await linesOf(access, 1);
      expect(line).to.match(/"GET \/nowhere HTTP\/1\.1" 404 /);
      expect(readFileSync(`${access}.1`, 'utf8')).to.match(/"GET \/ HTTP\/1\.1" 200 /);
      expect(api.stderr()).to.equal('');
    } finally {
      api.child.kill('SIGKILL');
    }
  });

  it('refuses a file it cannot open with one line naming the option, before anything listens', async () => {
    const nowhere = path.join(dir, 'missing-dir', 'x.log');
    for (const option of ['log_access_file', 'log_error_file', 'audit_log_file']) {
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [CLI, '-c', sandboxConfigDir(sandbox, dir, option, { [option]: nowhere })], { timeout: 15_000 }, (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
        );
      });
      expect(result.code, option).to.equal(2);
      expect(result.stderr).to.equal(`salt-api-koa: ${option}: cannot open ${JSON.stringify(nowhere)} (ENOENT)\n`);
    }
  });
});
