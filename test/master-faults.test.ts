/** The master going away, coming back and being slow (master_timeout 1 throughout). */
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Test } from 'supertest';
import { startHarness, login, type Harness } from './support/harness.js';
import { waitUntil } from './support/wait.js';

const UNAVAILABLE = { status: 503, return: 'Salt Master is not available.' };
/** master_timeout (1 s) plus generous slack for a loaded test machine. */
const WITHIN_TIMEOUT_MS = 2500;

describe('master faults', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness({ api: { master_timeout: 1, token_cache_ttl: 0 } });
    token = await login(h);
  });
  after(async () => {
    await h.close();
  });

  const run = (chunk: Record<string, unknown>) => h.http.post('/').set('X-Auth-Token', token).send([chunk]);
  /** Every kind of request that needs the master, with a name for failure messages. */
  const masterBound = (): [string, Test][] => [
    ['POST /login', h.http.post('/login').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' })],
    ['local', run({ client: 'local', tgt: '*', fun: 'test.ping' })],
    ['local_async', run({ client: 'local_async', tgt: '*', fun: 'test.ping' })],
    ['runner', run({ client: 'runner', fun: 'test.arg', arg: [1] })],
    ['runner_async', run({ client: 'runner_async', fun: 'test.arg' })],
    ['wheel', run({ client: 'wheel', fun: 'key.list_all' })],
    ['wheel_async', run({ client: 'wheel_async', fun: 'key.list_all' })],
    ['/run with eauth', h.http.post('/run').send([{ client: 'local', tgt: '*', fun: 'test.ping', username: 'saltdev', password: 'saltdev', eauth: 'auto' }])],
    ['GET /events', h.http.get(`/events?token=${token}`)],
    ['GET /minions', h.http.get('/minions').set('X-Auth-Token', token)],
    ['GET /jobs', h.http.get('/jobs').set('X-Auth-Token', token)],
    ['GET /keys', h.http.get('/keys').set('X-Auth-Token', token)],
  ];

  /** Send them all at once; each must be a 503 within master_timeout. */
  async function expectAllUnavailable(): Promise<void> {
    await Promise.all(
      masterBound().map(async ([what, request]) => {
        const started = Date.now();
        const res = await request;
        expect(res.status, `${what}: ${JSON.stringify(res.body)}`).to.equal(503);
        expect(res.body, what).to.deep.equal(UNAVAILABLE);
        expect(Date.now() - started, what).to.be.below(WITHIN_TIMEOUT_MS);
      }),
    );
  }

  it('answers every master-bound request 503 within master_timeout when the master is down', async () => {
    await h.sandbox.stopMaster();
    try {
      await expectAllUnavailable();
      await h.http.get('/').expect(200);
    } finally {
      await h.sandbox.startMaster();
    }
  });

  it('after a restart the request pool and the bus reconnect: the first request works', async () => {
    await h.sandbox.stopMaster();
    // Not a synchronisation: time must pass for the reconnect backoff of idle connections to grow.
    await sleep(3000);
    await h.sandbox.startMaster();
    const res = await run({ client: 'local', tgt: 'minion-1', fun: 'test.ping' }).expect(200);
    expect(res.body).to.deep.equal({ return: [{ 'minion-1': true }] });
    await run({ client: 'runner', fun: 'test.arg', arg: [1] }).expect(200);
    await h.http.post('/login').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200);
  });

  it('requests waiting for returns when the master dies get a prompt 503', async () => {
    h.sandbox.setMinion('minion-1', { delay: 5 });
    try {
      const asked = h.sandbox.requests.length;
      const waiting = [
        run({ client: 'local', tgt: 'minion-1', fun: 'test.ping', timeout: 30 }).then((res) => res),
        run({ client: 'runner', fun: 'test.sleep', arg: [5] }).then((res) => res),
      ];
      // Both were published and now wait for their returns.
      await waitUntil('both jobs reached the master', () => {
        const cmds = h.sandbox.requests.slice(asked).map((load) => load.cmd);
        return cmds.includes('publish') && cmds.includes('runner');
      });
      const stopped = Date.now();
      await h.sandbox.stopMaster();
      for (const res of await Promise.all(waiting)) {
        expect(res.status).to.equal(503);
        expect(res.body).to.deep.equal(UNAVAILABLE);
      }
      expect(Date.now() - stopped).to.be.below(WITHIN_TIMEOUT_MS);
    } finally {
      h.sandbox.setMinion('minion-1', {});
      await h.sandbox.startMaster();
    }
  });

  it('a slow master: master-bound calls time out with 503, everything else stays fast', async () => {
    await run({ client: 'local', tgt: 'minion-1', fun: 'test.ping' }).expect(200);
    h.sandbox.setReplyDelay(2);
    try {
      const slow = expectAllUnavailable();
      // While the master-bound calls hang on the master, the API answers the rest at once.
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        await h.http.get('/').expect(200);
        await h.http.get('/login').expect(200);
        expect(Date.now() - started).to.be.below(500);
      }
      await slow;
    } finally {
      h.sandbox.setReplyDelay(0);
    }
    await run({ client: 'local', tgt: 'minion-1', fun: 'test.ping' }).expect(200, { return: [{ 'minion-1': true }] });
  });
});
