/** The master going away and coming back. */
import { expect } from 'chai';
import { startHarness, login, type Harness } from './support/harness.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('master faults', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness({ api: { master_timeout: 1 } });
    token = await login(h);
  });
  after(async () => {
    await h.close();
  });

  it('answers 503 within master_timeout when the master is down, then recovers after a restart', async function () {
    this.timeout(20000);
    await h.sandbox.stopMaster();
    const started = Date.now();
    const login503 = await h.http.post('/login').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(503);
    expect(login503.body).to.deep.equal({ status: 503, return: 'Salt Master is not available.' });
    expect(Date.now() - started).to.be.lessThan(3000);
    const local = await h.http.post('/run').send([{ client: 'local', tgt: '*', fun: 'test.ping', username: 'saltdev', password: 'saltdev', eauth: 'auto' }]);
    expect(local.status).to.equal(503);

    await h.sandbox.startMaster();
    let res;
    for (let i = 0; i < 50; i++) {
      res = await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'local', tgt: 'minion-1', fun: 'test.ping' }]);
      if (res.status === 200) break;
      await sleep(100);
    }
    expect(res?.status).to.equal(200);
    expect(res?.body).to.deep.equal({ return: [{ 'minion-1': true }] });
  });

  it('a request waiting for returns when the master dies gets a prompt 503', async function () {
    this.timeout(20000);
    h.sandbox.setMinion('minion-1', { delay: 5 });
    const pending = h.http.post('/').set('X-Auth-Token', token).send([{ client: 'local', tgt: 'minion-1', fun: 'test.ping', timeout: 30 }]);
    const done = pending.then((r) => r);
    await sleep(300);
    const stopped = Date.now();
    await h.sandbox.stopMaster();
    const res = await done;
    expect(res.status).to.equal(503);
    expect(Date.now() - stopped).to.be.lessThan(2000);
    h.sandbox.setMinion('minion-1', {});
    await h.sandbox.startMaster();
  });
});
