/**
 * auth_throttle: failed authentications counted per client address, per user and address, and
 * per user; past a limit 429 with Retry-After, answered without asking the master. Distinct
 * clients are simulated through X-Forwarded-For from the trusted loopback peer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import request from 'supertest';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { AuthThrottle } from '../src/auth/throttle.js';
import { isApiError } from '../src/errors.js';
import { createLogger } from '../src/log.js';
import { startHarness, login, type Harness } from './support/harness.js';
import { RELEASE } from './support/release.js';
import { sandboxConfigDir } from './support/sandboxConfig.js';
import { waitUntil } from './support/wait.js';

const LIMITS = { max_failures_per_ip: 6, max_failures_per_user_ip: 3, max_failures_per_user: 5, window: 60, block: 120 };
const BAD_TOKEN = 'ab'.repeat(32);
/** One user per test, so the per-user counter of one test does not reach into another. */
const USERS = { saltdev: { password: 'saltdev' }, alice: { password: 'alice' }, bob: { password: 'bob' } };

/** How many credential checks (mk_token, get_token) reached the sandbox master so far. */
function credentialChecks(h: Harness): number {
  return h.sandbox.requests.filter((load) => load.cmd === 'mk_token' || load.cmd === 'get_token').length;
}

function badLogin(h: Harness, from: string, username = 'alice', password = 'wrong') {
  return h.http.post('/login').set('X-Forwarded-For', from).set('Accept', 'application/json').send({ username, password, eauth: 'auto' });
}

function expectThrottled(res: request.Response): void {
  expect(res.status, res.text).to.equal(429);
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).to.be.within(1, LIMITS.block);
  expect(res.body).to.deep.equal({ status: 429, return: `Too many failed authentication attempts; try again in ${retryAfter} seconds` });
}

describe('auth_throttle', function () {
  this.timeout(30_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({ api: { trusted_proxies: ['127.0.0.1'], auth_throttle: LIMITS }, sandbox: { users: USERS } });
  });
  after(async () => {
    await h.close();
  });

  it('answers the attempt after max_failures_per_user_ip bad passwords with 429 and Retry-After, without asking the master', async () => {
    for (let i = 0; i < LIMITS.max_failures_per_user_ip; i++) await badLogin(h, '10.0.0.1').expect(401);
    const before = credentialChecks(h);
    const first = await badLogin(h, '10.0.0.1');
    expectThrottled(first);
    // The failure that reached the limit started the block.
    expect(Number(first.headers['retry-after'])).to.be.above(LIMITS.block - 5);
    // Even the right password: the block holds, and the master does not hear of it.
    expectThrottled(await badLogin(h, '10.0.0.1', 'alice', 'alice'));
    expect(credentialChecks(h)).to.equal(before);
    // In the negotiated format, like every error.
    const yaml = await badLogin(h, '10.0.0.1').set('Accept', 'application/x-yaml').expect(429);
    expect(yaml.headers['content-type']).to.match(/^application\/x-yaml/);
    expect(yaml.text).to.match(/^return: Too many failed authentication attempts; try again in \d+ seconds\nstatus: 429\n$/);
  });

  it('leaves other addresses alone: the same user logs in from elsewhere, another user from a new address', async () => {
    await badLogin(h, '10.0.0.2').expect(401);
    await h.http.post('/login').set('X-Forwarded-For', '10.0.0.2').send({ username: 'alice', password: 'alice', eauth: 'auto' }).expect(200);
    await badLogin(h, '10.0.0.12', 'someone-else').expect(401);
  });

  it('counts a user over all addresses (max_failures_per_user), each address under its own limit', async () => {
    const user = 'roaming';
    for (let i = 1; i <= LIMITS.max_failures_per_user; i++) await badLogin(h, `10.1.0.${i}`, user).expect(401);
    const before = credentialChecks(h);
    expectThrottled(await badLogin(h, '10.1.0.99', user));
    expect(credentialChecks(h)).to.equal(before);
    // Another user from one of those addresses is not concerned.
    await badLogin(h, '10.1.0.1', 'bystander').expect(401);
  });

  it('counts every user from one address (max_failures_per_ip)', async () => {
    for (let i = 0; i < LIMITS.max_failures_per_ip; i++) await badLogin(h, '10.0.0.3', `user-${i}`).expect(401);
    expectThrottled(await badLogin(h, '10.0.0.3', 'yet-another'));
  });

  it('counts an IPv6 client by its /64', async () => {
    for (const host of ['a', 'b', 'c']) await badLogin(h, `2001:db8:1:2::${host}`, 'v6-user').expect(401);
    expectThrottled(await badLogin(h, '2001:db8:1:2:ffff::d', 'v6-user'));
    await badLogin(h, '2001:db8:1:3::a', 'v6-user').expect(401);
  });

  it('clears the user+address count on a success', async () => {
    const from = '10.0.0.4';
    const user = 'bob';
    for (let i = 0; i < LIMITS.max_failures_per_user_ip - 1; i++) await badLogin(h, from, user).expect(401);
    await h.http.post('/login').set('X-Forwarded-For', from).send({ username: user, password: 'bob', eauth: 'auto' }).expect(200);
    // Without the reset the second of these would be the fourth failure and get 429.
    for (let i = 0; i < LIMITS.max_failures_per_user_ip; i++) await badLogin(h, from, user).expect(401);
    expectThrottled(await badLogin(h, from, user));
  });

  it('counts tokens the master refuses: X-Auth-Token, the session cookie and a lowstate token', async () => {
    const from = '10.0.0.5';
    const lowstate = [{ client: 'local', tgt: '*', fun: 'test.ping', token: BAD_TOKEN }];
    await h.http.get('/minions').set('X-Forwarded-For', from).set('X-Auth-Token', BAD_TOKEN).expect(401);
    await h.http.get('/minions').set('X-Forwarded-For', from).set('Cookie', `session_id=${BAD_TOKEN}`).expect(401);
    for (let i = 0; i < LIMITS.max_failures_per_ip - 2; i++) await h.http.post('/run').set('X-Forwarded-For', from).send(lowstate).expect(401);
    const before = credentialChecks(h);
    expectThrottled(await h.http.get('/minions').set('X-Forwarded-For', from).set('X-Auth-Token', BAD_TOKEN).set('Accept', 'application/json'));
    expectThrottled(await h.http.post('/run').set('X-Forwarded-For', from).set('Accept', 'application/json').send(lowstate));
    expect(credentialChecks(h)).to.equal(before);
    // A request without any token is no attempt: still the plain 401.
    await h.http.get('/minions').set('X-Forwarded-For', '10.0.0.55').expect(401);
    for (let i = 0; i < LIMITS.max_failures_per_ip + 1; i++) await h.http.get('/minions').set('X-Forwarded-For', '10.0.0.55').expect(401);
  });

  it('counts eauth credentials on /run, in lowstate and on /token', async () => {
    const from = '10.0.0.6';
    const chunk = { client: 'local', tgt: '*', fun: 'test.ping', username: 'saltdev', password: 'wrong', eauth: 'auto' };
    await h.http.post('/run').set('X-Forwarded-For', from).send([chunk]).expect(401);
    await h.http.post('/run').set('X-Forwarded-For', from).send([{ ...chunk, client: 'runner', fun: 'jobs.list_jobs' }]).expect(401);
    await h.http.post('/token').set('X-Forwarded-For', from).send({ username: 'saltdev', password: 'wrong', eauth: 'auto' }).expect(401);
    const before = credentialChecks(h);
    expectThrottled(await h.http.post('/run').set('X-Forwarded-For', from).set('Accept', 'application/json').send([{ ...chunk, password: 'saltdev' }]));
    expectThrottled(await h.http.post('/token').set('X-Forwarded-For', from).set('Accept', 'application/json').send({ username: 'saltdev', password: 'x', eauth: 'auto' }));
    expect(credentialChecks(h)).to.equal(before);
  });

  it('answers 429 to an event stream from a blocked address', async () => {
    const from = '10.0.0.7';
    for (let i = 0; i < LIMITS.max_failures_per_ip; i++) await h.http.get(`/events?token=${BAD_TOKEN}`).set('X-Forwarded-For', from).expect(401);
    const res = await h.http.get(`/events?token=${BAD_TOKEN}`).set('X-Forwarded-For', from).set('Accept', 'application/json');
    expectThrottled(res);
  });

  it('never refuses a burst of concurrent logins with the right password, however many', async () => {
    const burst = Array.from({ length: 4 * LIMITS.max_failures_per_ip }, () =>
      h.http.post('/login').set('X-Forwarded-For', '10.0.0.8').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }),
    );
    const statuses = (await Promise.all(burst)).map((res) => res.status);
    expect(statuses).to.deep.equal(statuses.map(() => 200));
    await badLogin(h, '10.0.0.8', 'saltdev').expect(401);
  });

  it('lets a cached session token through from a blocked address (no master check, so nothing to refuse)', async () => {
    const token = await login(h);
    // A cached token asks nothing of the master, so the block of 10.0.0.1 does not apply to it.
    await h.http.get('/minions').set('X-Auth-Token', token).set('X-Forwarded-For', '10.0.0.1').expect(200);
  });
});

describe('auth_throttle behind proxies and switched off', function () {
  this.timeout(30_000);

  it("counts the socket peer when it is no trusted proxy, whatever X-Forwarded-For it sends", async () => {
    const h = await startHarness({ api: { trusted_proxies: ['10.9.9.9'], auth_throttle: LIMITS } });
    try {
      for (let i = 0; i < LIMITS.max_failures_per_user_ip; i++) await badLogin(h, `10.2.0.${i}`).expect(401);
      expectThrottled(await badLogin(h, '10.2.0.200'));
    } finally {
      await h.close();
    }
  });

  it('is on by default, and auth_throttle: false lets every attempt through to the master', async () => {
    const h = await startHarness({ api: { auth_throttle: false } });
    try {
      expect(h.settings.api.auth_throttle.enabled).to.equal(false);
      const before = credentialChecks(h);
      for (let i = 0; i < 15; i++) await h.http.post('/login').send({ username: 'saltdev', password: 'wrong', eauth: 'auto' }).expect(401);
      expect(credentialChecks(h) - before).to.equal(15);
    } finally {
      await h.close();
    }
    const defaults = await startHarness();
    try {
      expect(defaults.settings.api.auth_throttle).to.deep.equal({
        enabled: true,
        max_failures_per_ip: 50,
        max_failures_per_user_ip: 10,
        max_failures_per_user: 100,
        window: 600,
        block: 900,
      });
      for (let i = 0; i < 10; i++) await defaults.http.post('/login').send({ username: 'saltdev', password: 'wrong', eauth: 'auto' }).expect(401);
      expect((await defaults.http.post('/login').send({ username: 'saltdev', password: 'wrong', eauth: 'auto' })).status).to.equal(429);
    } finally {
      await defaults.close();
    }
  });
});

describe('auth_throttle counters over time', function () {
  this.timeout(10_000);

  it('reads no counter once window + block seconds pass without a refusal, and counts later refusals from zero up to the limit again', async () => {
    const throttle = new AuthThrottle({ enabled: true, max_failures_per_ip: 100, max_failures_per_user_ip: 2, max_failures_per_user: 0, window: 1, block: 1 }, createLogger({ level: 'error' }));
    const attempt = { ip: '10.3.0.1', user: 'alice' };
    const refusedWith429 = async (admitting: Promise<void> | undefined) => {
      const error: unknown = await admitting?.then(() => undefined, (caught: unknown) => caught);
      expect(isApiError(error) && error.status).to.equal(429);
    };
    // Nothing refused yet: nothing to read, so the login waits on no promise.
    expect(throttle.admit(attempt)).to.equal(undefined);
    for (let i = 0; i < 2; i++) await throttle.refused(attempt);
    await refusedWith429(throttle.admit(attempt));
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(throttle.admit(attempt)).to.equal(undefined);
    expect(throttle.accepted(attempt)).to.equal(undefined);
    await throttle.refused(attempt);
    const reading = throttle.admit(attempt);
    expect(reading).to.be.instanceOf(Promise);
    await reading;
    await throttle.refused(attempt);
    await refusedWith429(throttle.admit(attempt));
  });
});

describe('auth_throttle with workers: 2', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;
  let dir: string;
  let child: ChildProcess | undefined;
  before(async () => {
    sandbox = await startSandbox({ release: RELEASE.version });
    dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-throttle-'));
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds the limits across the workers (the counters live in the primary)', async () => {
    const config = sandboxConfigDir(sandbox, dir, 'conf', { workers: 2, auth_throttle: LIMITS });
    const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));
    child = spawn(process.execPath, [cli, '-c', config, '-l', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => (stderr += text));
    await waitUntil('the workers listen', () => /listening on http:\/\/\S+/.test(stderr), 30_000);
    const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1] ?? '';
    const attempt = () => request(url).post('/login').set('Connection', 'close').set('Accept', 'application/json').send({ username: 'saltdev', password: 'wrong', eauth: 'auto' });
    // New connections take turns between the workers: with a counter per worker, some of the
    // attempts after the third would still be the first or second failure their worker saw.
    for (let i = 0; i < LIMITS.max_failures_per_user_ip; i++) expect((await attempt()).status).to.equal(401);
    for (let i = 0; i < 6; i++) expectThrottled(await attempt());
  });
});
