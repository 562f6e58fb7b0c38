/**
 * audit_log_file: one JSON line per login and per command that reaches the master, with the
 * request's X-Request-Id, never a password or token; reopened on SIGHUP. X-Request-Id on every
 * answer: generated, or a trusted proxy's when sane.
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import fc from 'fast-check';
import request from 'supertest';
import WebSocket from 'ws';
import { startSandbox } from '../src/sandbox/index.js';
import { startHarness, login, type Harness } from './support/harness.js';
import { RELEASE } from './support/release.js';
import { sandboxConfigDir } from './support/sandboxConfig.js';
import { openSse } from './support/sseClient.js';
import { waitUntil } from './support/wait.js';
import { startCli } from './support/cliProcess.js';
import { flushLogs } from '../src/log.js';
import { AuditLog } from '../src/audit/auditLog.js';
import { auditedLogin, type Auditor, type CommandAudit, type LoginAudit } from '../src/audit/auditor.js';
import { Errors, isApiError } from '../src/errors.js';
import { seeded } from './support/fuzz.js';
import { runModule } from './support/exitScript.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SECRET = 'pa55-w0rd-in-the-audit-test';

type Line = Record<string, unknown>;

const ACL = { saltdev: ['.*', '@runner', '@wheel', '@jobs'], carol: ['.*'] };

/** The file's JSON lines once there are at least `count` (lines are written asynchronously, in batches). */
async function auditLines(file: string, count: number): Promise<Line[]> {
  let lines: string[] = [];
  // The API runs in this process: every line logged so far is in the file after this.
  await flushLogs();
  await waitUntil(`${count} lines in ${file}`, () => {
    lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    return lines.length >= count;
  });
  return lines.map((line) => JSON.parse(line) as Line);
}

function isoTime(value: unknown): boolean {
  return typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(value) && Math.abs(Date.parse(value) - Date.now()) < 60_000;
}

describe('audit_log_file', function () {
  this.timeout(30_000);
  let dir: string;
  let file: string;
  let accessFile: string;
  let h: Harness;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-audit-'));
    file = path.join(dir, 'audit.log');
    accessFile = path.join(dir, 'access.log');
    h = await startHarness({
      api: { audit_log_file: file, log_access_file: accessFile, trusted_proxies: ['127.0.0.1'] },
      sandbox: { users: { saltdev: { password: 'saltdev' }, carol: { password: SECRET } }, externalAuth: { auto: ACL, pam: ACL } },
    });
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the file 0640 and writes one line per login, success and failure', async () => {
    expect(statSync(file).mode & 0o777).to.equal(0o640);
    const good = await h.http.post('/login').set('X-Forwarded-For', '192.0.2.7').send({ username: 'carol', password: SECRET, eauth: 'auto' }).expect(200);
    const bad = await h.http.post('/login').send({ username: 'carol', password: `${SECRET}-not`, eauth: 'pam' }).expect(401);
    const [success, failure] = await auditLines(file, 2);
    expect(success).to.include({ type: 'login', endpoint: '/login', client: '192.0.2.7', user: 'carol', eauth: 'auto', status: 'success' });
    expect(success!.request_id).to.equal(good.headers['x-request-id']);
    expect(failure).to.include({ type: 'login', endpoint: '/login', client: '127.0.0.1', user: 'carol', eauth: 'pam', status: 'failure' });
    expect(failure!.request_id).to.equal(bad.headers['x-request-id']);
    for (const line of [success, failure]) {
      expect(isoTime(line!.time), String(line!.time)).to.equal(true);
      expect(line!.duration_ms).to.be.a('number').and.to.be.at.least(0);
    }
  });

  it('writes a line per command: netapi client, fun, tgt, tgt_type, jid, user, eauth, status, duration', async () => {
    const token = await login(h);
    const before = (await auditLines(file, 1)).length;
    const ran = await h.http
      .post('/')
      .set('X-Auth-Token', token)
      .send([
        { client: 'local', tgt: 'minion-*', tgt_type: 'glob', fun: 'test.arg', arg: [SECRET], kwarg: { password: SECRET } },
        { client: 'local_async', tgt: ['minion-1'], tgt_type: 'list', fun: 'test.ping' },
      ])
      .expect(200);
    const lines = (await auditLines(file, before + 2)).slice(before);
    const [local, async] = lines;
    expect(local).to.include({ type: 'command', netapi_client: 'local', fun: 'test.arg', tgt: 'minion-*', tgt_type: 'glob', user: 'saltdev', eauth: 'auto', status: 'success', client: '127.0.0.1' });
    expect(local!.jid).to.match(/^\d{20}$/);
    expect(local!.request_id).to.equal(ran.headers['x-request-id']);
    expect(async).to.include({ type: 'command', netapi_client: 'local_async', fun: 'test.ping', tgt_type: 'list', status: 'success' });
    expect(async!.tgt).to.deep.equal(['minion-1']);
    const body = ran.body as { return: [unknown, { jid: string }] };
    expect(async!.jid).to.equal(body.return[1].jid);
    expect(local!.duration_ms).to.be.a('number').and.to.be.above(0);
    // Arguments only with audit_log_args.
    expect(local).not.to.have.any.keys('arg', 'kwarg');
    expect(isoTime(local!.time)).to.equal(true);
  });

  it('records refused commands, with the user the client claimed', async () => {
    const before = (await auditLines(file, 1)).length;
    await h.http.post('/run').send([{ client: 'runner', fun: 'jobs.list_jobs', username: 'carol', password: SECRET.toUpperCase(), eauth: 'auto' }]).expect(401);
    await h.http.post('/run').send([{ client: 'local', tgt: '*', fun: 'test.ping', token: 'cd'.repeat(32) }]).expect(401);
    const [eauth, token] = (await auditLines(file, before + 2)).slice(before);
    expect(eauth).to.include({ netapi_client: 'runner', fun: 'jobs.list_jobs', user: 'carol', eauth: 'auto', status: 'failure', error: 'MASTER_AUTH_ERROR', jid: null });
    expect(token).to.include({ netapi_client: 'local', user: null, eauth: null, status: 'failure', error: 'AUTHENTICATION_ERROR' });
  });

  it('records a login that auth_throttle refused as throttled', async () => {
    const from = '192.0.2.99';
    const attempt = () => h.http.post('/login').set('X-Forwarded-For', from).send({ username: 'mallory', password: 'guess', eauth: 'auto' });
    const before = (await auditLines(file, 1)).length;
    for (let i = 0; i < h.settings.api.auth_throttle.max_failures_per_user_ip; i++) await attempt().expect(401);
    const refused = await attempt().expect(429);
    const lines = await auditLines(file, before + h.settings.api.auth_throttle.max_failures_per_user_ip + 1);
    expect(lines.at(-2)).to.include({ type: 'login', user: 'mallory', client: from, status: 'failure' });
    expect(lines.at(-1)).to.include({ type: 'login', user: 'mallory', client: from, status: 'throttled', error: 'AUTH_THROTTLED', request_id: refused.headers['x-request-id'] });
  });

  it('never writes a password or a token', async () => {
    const token = await login(h);
    await h.http.post('/run').send([{ client: 'local', tgt: '*', fun: 'test.ping', username: 'carol', password: SECRET, eauth: 'auto' }]).expect(200);
    await h.http.post('/token').send({ username: 'carol', password: SECRET, eauth: 'auto' }).expect(200);
    await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'runner', fun: 'test.arg', arg: [token], kwarg: { token } }]).expect(200);
    await auditLines(file, 10);
    const raw = readFileSync(file, 'utf8');
    expect(raw).not.to.include(SECRET);
    expect(raw).not.to.include(SECRET.toUpperCase());
    expect(raw).not.to.include(token);
    expect(raw).not.to.match(/"(password|token)"/);
  });

  it('puts the same request id in the X-Request-Id header, the audit line and the access log line', async () => {
    const res = await h.http.post('/login').set('X-Request-Id', 'nginx-req-0042').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200);
    expect(res.headers['x-request-id']).to.equal('nginx-req-0042');
    await waitUntil('the audit line', () => readFileSync(file, 'utf8').includes('"request_id":"nginx-req-0042"'));
    // This request's own line: earlier logins of this file's tests wrote lines like it.
    await waitUntil('the access line', () => existsSync(accessFile) && readFileSync(accessFile, 'utf8').includes('"nginx-req-0042"'));
    const access = readFileSync(accessFile, 'utf8').split('\n').filter((line) => line.includes('nginx-req-0042'));
    expect(access).to.have.length(1);
    expect(access[0]).to.match(/^127\.0\.0\.1 - - \[[^\]]+\] "POST \/login HTTP\/1\.1" 200 \d+ "" "[^"]*" "nginx-req-0042"$/);
  });
});

describe('audit_log_args', function () {
  this.timeout(30_000);

  it('adds arg and kwarg to command lines when set', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-audit-args-'));
    const file = path.join(dir, 'audit.log');
    // An existing file keeps its own mode; lines are appended after what it holds.
    writeFileSync(file, '', { mode: 0o600 });
    const h = await startHarness({ api: { audit_log_file: file, audit_log_args: true } });
    try {
      const token = await login(h);
      await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'local', tgt: 'minion-1', fun: 'test.arg', arg: ['a', 1], kwarg: { k: 'v' } }]).expect(200);
      const [, command] = await auditLines(file, 2);
      expect(command).to.deep.include({ fun: 'test.arg', arg: ['a', 1], kwarg: { k: 'v' } });
      expect(statSync(file).mode & 0o777).to.equal(0o600);
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('X-Request-Id', function () {
  this.timeout(30_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({ api: { trusted_proxies: ['127.0.0.1'], max_url_length: 100, max_request_body_size: 64 } });
  });
  after(async () => {
    await h.close();
  });

  it('is generated for every answer when the client sends none: 200, 401, 404, 413, 414', async () => {
    const answers = [
      await h.http.get('/').expect(200),
      await h.http.get('/minions').expect(401),
      await h.http.get('/nowhere').expect(404),
      await h.http.post('/login').send({ username: 'x'.repeat(100), password: 'y', eauth: 'auto' }).expect(413),
      await h.http.get(`/${'a'.repeat(200)}`).expect(414),
    ];
    const ids = answers.map((res) => String(res.headers['x-request-id']));
    for (const id of ids) expect(id).to.match(UUID);
    expect(new Set(ids).size).to.equal(ids.length);
  });

  it("keeps a trusted proxy's id, and replaces one that is too long or not a plain token", async () => {
    expect((await h.http.get('/').set('X-Request-Id', 'abc-123_XYZ.1').expect(200)).headers['x-request-id']).to.equal('abc-123_XYZ.1');
    for (const hostile of ['x'.repeat(129), 'two words', 'quote"d', 'semi;colon', 'a/b', '']) {
      const id = (await h.http.get('/').set('X-Request-Id', hostile).expect(200)).headers['x-request-id'];
      expect(id, JSON.stringify(hostile)).to.match(UUID);
    }
  });

  it('replaces the id an untrusted peer sends', async () => {
    const other = await startHarness({ api: { trusted_proxies: ['10.9.9.9'] } });
    try {
      expect((await other.http.get('/').set('X-Request-Id', 'made-up-by-client').expect(200)).headers['x-request-id']).to.match(UUID);
      expect((await other.http.get('/').expect(200)).headers['x-request-id']).to.match(UUID);
    } finally {
      await other.close();
    }
  });

  it('is on the event streams: the SSE answer, the WebSocket 101 and a refused upgrade', async () => {
    const token = await login(h);
    const stream = await openSse(h.url, `/events?token=${token}`, { 'X-Request-Id': 'sse-1' });
    expect(stream.status).to.equal(200);
    expect(stream.headers['x-request-id']).to.equal('sse-1');
    stream.close();

    const upgraded = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const ws = new WebSocket(`${h.url.replace('http', 'ws')}/ws/${token}`, { headers: { 'X-Request-Id': 'ws-1' } });
      ws.on('upgrade', (res) => {
        resolve(res);
        ws.close();
      });
      ws.on('error', reject);
    });
    expect(upgraded.headers['x-request-id']).to.equal('ws-1');

    const refused = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const ws = new WebSocket(`${h.url.replace('http', 'ws')}/ws/${'ef'.repeat(32)}`);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res);
        res.resume();
      });
      ws.on('error', reject);
    });
    expect(refused.statusCode).to.equal(401);
    expect(refused.headers['x-request-id']).to.match(UUID);
  });
});

describe('audit_log_file of the salt-api-koa command', function () {
  this.timeout(60_000);

  it('takes whole lines from two workers appending to one file', async () => {
    const sandbox = await startSandbox({ release: RELEASE.version });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-audit-workers-'));
    const file = path.join(dir, 'audit.log');
    const api = startCli(sandboxConfigDir(sandbox, dir, 'conf', { audit_log_file: file, workers: 2 }));
    try {
      const url = await api.listening();
      const answers = await Promise.all(
        Array.from({ length: 60 }, () => request(url).post('/login').set('Connection', 'close').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200)),
      );
      const lines = await auditLines(file, 60);
      expect(lines).to.have.length(60);
      expect(new Set(lines.map((line) => line.request_id))).to.deep.equal(new Set(answers.map((res) => res.headers['x-request-id'])));
    } finally {
      await api.stop();
      await sandbox.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is reopened on SIGHUP: after logrotate moved it, new lines go to a new file', async () => {
    const sandbox = await startSandbox({ release: RELEASE.version });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-audit-hup-'));
    const file = path.join(dir, 'audit.log');
    const api = startCli(sandboxConfigDir(sandbox, dir, 'conf', { audit_log_file: file }));
    try {
      const url = await api.listening();
      const loginOnce = () => request(url).post('/login').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200);
      await loginOnce();
      await auditLines(file, 1);
      renameSync(file, `${file}.1`);
      api.child.kill('SIGHUP');
      await waitUntil('the reopen', () => api.stderr.includes('SIGHUP received'), 10_000);
      await waitUntil('the new file', () => existsSync(file));
      const res = await loginOnce();
      const [line] = await auditLines(file, 1);
      expect(line).to.include({ type: 'login', user: 'saltdev', status: 'success', request_id: res.headers['x-request-id'] });
      expect(statSync(file).mode & 0o777).to.equal(0o640);
      // Nothing more went to the old one.
      await sleep(100);
      expect(readFileSync(`${file}.1`, 'utf8').split('\n').filter(Boolean)).to.have.length(1);
    } finally {
      await api.stop();
      await sandbox.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('auditedLogin', () => {
  it('reports every way an attempt ends, one line each, and passes its result or error on unchanged', async () => {
    const lines: LoginAudit[] = [];
    const auditor: Auditor = { login: (entry) => lines.push(entry), command: () => undefined };
    const what = { request: { requestId: 'r1', client: '10.0.0.1' }, endpoint: '/login', user: 'alice', eauth: 'pam' };
    const boom = new Error('boom');
    expect(await auditedLogin(auditor, what, () => Promise.resolve('token'))).to.equal('token');
    expect(await auditedLogin(auditor, what, () => Promise.resolve(undefined))).to.equal(undefined);
    const rejected = await auditedLogin(auditor, what, () => Promise.reject(Errors.TooManyAttempts(5))).then(() => undefined, (error: unknown) => error);
    expect(isApiError(rejected) && rejected.status).to.equal(429);
    // An attempt that throws rather than rejecting: still a rejection, still one line.
    const thrown = await auditedLogin(auditor, what, () => {
      throw boom;
    }).then(() => undefined, (error: unknown) => error);
    expect(thrown).to.equal(boom);
    expect(lines.map(({ outcome }) => outcome)).to.deep.equal([
      { status: 'success' },
      { status: 'failure' },
      { status: 'throttled', error: Errors.TooManyAttempts.code },
      { status: 'error', error: 'UNEXPECTED' },
    ]);
    expect(lines.every((line) => line.user === 'alice' && line.endpoint === '/login' && line.durationMs >= 0)).to.equal(true);
  });
});

describe('audit line time', () => {
  it('is what toISOString gives for the moment the line is written, within and across seconds, in any year', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-audit-time-'));
    const file = path.join(dir, 'audit.log');
    const log = new AuditLog(file, false);
    // Within one millisecond, the next one, across seconds, back in time (a clock set back), five- and six-digit years.
    const moments = [1764777600123, 1764777600123, 1764777600124, 1764777600999, 1764777601000, 1764777601007, 1764777601050, 1764777599999, 0, 5, 253402300799999, 253402300800042, 8.64e15];
    const realNow = Date.now;
    try {
      for (const moment of moments) {
        Date.now = () => moment;
        log.login({ request: { requestId: 'r', client: '127.0.0.1' }, endpoint: '/login', user: 'saltdev', eauth: 'auto', outcome: { status: 'success' }, durationMs: 1 });
      }
    } finally {
      Date.now = realNow;
    }
    const lines = await auditLines(file, moments.length);
    expect(lines.map((line) => line.time)).to.deep.equal(moments.map((moment) => new Date(moment).toISOString()));
    rmSync(dir, { recursive: true, force: true });
  });
});

/** Any UTF-16 text: printable, escapes, non-ASCII, astral and lone surrogates. */
const TEXT = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 8 }),
  fc.constantFrom('saltdev', '127.0.0.1', 'a"b', 'back\\slash', 'new\nline', '\u2028', 'Grüße', '😀', '\ud800'),
);
const VALUE = fc.oneof(TEXT, fc.constant(undefined), fc.constant(null), fc.integer(), fc.array(TEXT, { maxLength: 3 }), fc.dictionary(TEXT, fc.oneof(TEXT, fc.bigInt(), fc.uint8Array({ maxLength: 4 })), { maxKeys: 3 }));
const OUTCOME = fc.oneof(fc.constant({ status: 'success' as const }), fc.record({ status: fc.constantFrom('failure' as const, 'throttled' as const, 'error' as const), error: TEXT }));
const COMMON = { request: fc.record({ requestId: TEXT, client: TEXT }), outcome: OUTCOME, durationMs: fc.oneof(fc.nat(), fc.double({ min: 0, max: 1e6, noNaN: true })) };
const LOGIN = fc.record({ ...COMMON, endpoint: TEXT, user: fc.option(TEXT), eauth: fc.option(TEXT) });
const COMMAND = fc.record({
  ...COMMON,
  user: fc.option(TEXT),
  eauth: fc.option(TEXT),
  chunk: fc.record({ client: fc.oneof(fc.constantFrom('local', 'local_async', 'runner', 'wheel'), VALUE), fun: VALUE, tgt: VALUE, tgt_type: VALUE, arg: VALUE, kwarg: VALUE }, { requiredKeys: [] }),
  jids: fc.array(fc.stringMatching(/^\d{20}$/), { maxLength: 3 }),
});

/** JSON.stringify's view of bigints and bytes, as the audit line promises. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

/** The line JSON.stringify gives for what the audit trail documents of a login or a command. */
function expectedLine(time: string, entry: LoginAudit | CommandAudit, withArgs: boolean): string {
  const head = { time, type: 'chunk' in entry ? 'command' : 'login', request_id: entry.request.requestId, client: entry.request.client };
  const tail = { status: entry.outcome.status, ...(entry.outcome.error === undefined ? {} : { error: entry.outcome.error }), duration_ms: entry.durationMs };
  if (!('chunk' in entry)) return JSON.stringify({ ...head, endpoint: entry.endpoint, user: entry.user, eauth: entry.eauth, ...tail }, jsonSafe);
  const { chunk, jids } = entry;
  const local = typeof chunk.client === 'string' && chunk.client.startsWith('local');
  const nulled = (value: unknown) => value ?? null;
  return JSON.stringify(
    {
      ...head,
      user: entry.user,
      eauth: entry.eauth,
      netapi_client: nulled(chunk.client),
      fun: nulled(chunk.fun),
      tgt: nulled(chunk.tgt),
      tgt_type: chunk.tgt_type ?? (local ? 'glob' : null),
      jid: nulled(jids.at(-1)),
      ...(jids.length > 1 ? { jids } : {}),
      ...(withArgs ? { arg: nulled(chunk.arg), kwarg: nulled(chunk.kwarg) } : {}),
      ...tail,
    },
    jsonSafe,
  );
}

describe('audit line text', () => {
  it('is, byte for byte, what JSON.stringify gives for the documented fields, whatever text and values they hold', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-audit-text-'));
    // Without and with audit_log_args, a file each (two sinks' batches may reach one file in either order).
    const files = [path.join(dir, 'audit.log'), path.join(dir, 'audit-args.log')];
    const logs = [new AuditLog(files[0]!, false), new AuditLog(files[1]!, true)];
    const expected: [string[], string[]] = [[], []];
    const moment = 1764777600123;
    const realNow = Date.now;
    try {
      Date.now = () => moment;
      fc.assert(
        fc.property(fc.oneof(LOGIN, COMMAND), fc.boolean(), (entry, withArgs) => {
          const audit = entry as LoginAudit | CommandAudit;
          const log = logs[withArgs ? 1 : 0]!;
          if ('chunk' in audit) log.command(audit);
          else log.login(audit);
          expected[withArgs ? 1 : 0].push(expectedLine(new Date(moment).toISOString(), audit, withArgs));
        }),
        seeded(500),
      );
    } finally {
      Date.now = realNow;
    }
    await flushLogs();
    for (const [i, file] of files.entries()) {
      const lines = readFileSync(file, 'utf8').split('\n');
      expect(lines.pop()).to.equal('');
      expect(lines).to.deep.equal(expected[i]);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a value JSON cannot hold as "[unserializable]", keeping its line and the next', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-audit-text-'));
    const file = path.join(dir, 'audit.log');
    const log = new AuditLog(file, true);
    const request = { requestId: 'r', client: '127.0.0.1' };
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const refused = { request, user: 'u', eauth: 'pam', outcome: { status: 'success' as const }, durationMs: 1, chunk: { client: 'local', fun: 'test.ping', tgt: '*', arg: [cyclic], kwarg: { ok: 1 } }, jids: [] };
    log.command(refused as unknown as CommandAudit);
    log.login({ request, endpoint: '/login', user: 'saltdev', eauth: 'auto', outcome: { status: 'success' }, durationMs: 2 });
    const lines = await auditLines(file, 2);
    expect(lines).to.have.length(2);
    expect(lines[0]).to.include({ type: 'command', fun: 'test.ping', arg: '[unserializable]' });
    expect(lines[0]!.kwarg).to.deep.equal({ ok: 1 });
    expect(lines[1]).to.include({ type: 'login', user: 'saltdev', duration_ms: 2 });
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('audit lines held until the end of the turn', () => {
  it('are all in the file, in order, when the process exits in the turn that logged them', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-audit-exit-'));
    try {
      const file = path.join(dir, 'audit.log');
      const code = await runModule(
        dir,
        { AuditLog: 'src/audit/auditLog.js' },
        `const log = new AuditLog(${JSON.stringify(file)}, false);\n` +
          `for (let i = 0; i < 500; i++) log.login({ request: { requestId: 'r' + i, client: '127.0.0.1' }, endpoint: '/login', user: 'u' + i, eauth: 'pam', outcome: { status: 'success' }, durationMs: i });\n` +
          `process.exit(0);\n`,
      );
      expect(code).to.equal(0);
      const users = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => (JSON.parse(line) as Line).user);
      expect(users).to.deep.equal(Array.from({ length: 500 }, (_, i) => `u${i}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
