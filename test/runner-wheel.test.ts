/** runner, runner_async, wheel, wheel_async through POST / against the sandbox master. */
import { expect } from 'chai';
import { startHarness, login, type Harness } from './support/harness.js';
import { RELEASE } from './support/release.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('runner and wheel clients', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness();
    token = await login(h);
  });
  after(async () => {
    await h.close();
  });

  const post = (body: unknown) => h.http.post('/').set('X-Auth-Token', token).set('Accept', 'application/json').send(body as object);

  it('runs a runner with positional, name=value and kwarg arguments', async () => {
    const res = await post([{ client: 'runner', fun: 'test.arg', arg: ['one', 'two=2'], kwarg: { three: 3 } }]).expect(200);
    const ret = res.body.return[0];
    expect(ret.args).to.deep.equal(['one']);
    expect(ret.kwargs).to.include({ two: 2, three: 3 });
    const load = h.sandbox.requests.filter((l) => l.cmd === 'runner' && l.fun === 'test.arg').at(-1)!;
    expect(load.kwarg).to.deep.equal({ arg: ['one'], kwarg: { two: 2, three: 3 } });
    expect(load).to.not.have.property('password');
  });

  it('sends a keyword named __proto__ to the master as a keyword, as a Python dict holds it', async () => {
    // A JSON body gives `__proto__` as an own key; `keywords[key] = value` would have made it the
    // object's prototype instead, and the keyword would never have reached the master.
    await h.http
      .post('/')
      .set('X-Auth-Token', token)
      .set('Content-Type', 'application/json')
      .send('[{"client": "runner", "fun": "test.arg", "arg": ["one", "__proto__=x"], "kwarg": {"b": 2}}]')
      .expect(200);
    const load = h.sandbox.requests.filter((l) => l.cmd === 'runner' && l.fun === 'test.arg').at(-1)!;
    const keywords = (load.kwarg as { kwarg: Record<string, unknown> }).kwarg;
    expect(Object.keys(keywords)).to.deep.equal(['__proto__', 'b']);
    expect(Object.getOwnPropertyDescriptor(keywords, '__proto__')?.value).to.equal('x');
    expect(Object.getPrototypeOf(keywords)).to.equal(Object.prototype);
  });

  it('gives the whole ret event with full_return', async () => {
    const res = await post([{ client: 'runner', fun: 'test.arg', kwarg: { a: 1 }, full_return: true }]).expect(200);
    const full = res.body.return[0];
    expect(full.tag).to.match(/^salt\/run\/\d{20}\/ret$/);
    expect(full.data).to.include({ fun: 'runner.test.arg', success: true, user: 'saltdev' });
    expect(full.data.return).to.deep.equal({ args: [], kwargs: { a: 1 } });
  });

  it('runner_async answers with the tag and jid', async () => {
    const res = await post([{ client: 'runner_async', fun: 'test.arg', arg: ['x'] }]).expect(200);
    const ret = res.body.return[0];
    expect(Object.keys(ret)).to.deep.equal(['tag', 'jid']);
    expect(ret.tag).to.equal(`salt/run/${ret.jid as string}`);
  });

  it('504 when a runner does not return within timeout', async function () {
    this.timeout(10000);
    const res = await post([{ client: 'runner', fun: 'test.sleep', arg: [3], timeout: 1 }]).expect(504);
    expect(res.body.status).to.equal(504);
    expect(res.body.return).to.match(/^RunnerClient job '\d{20}' timed out$/);
  });

  it('400 for a runner fun without a dot (the master says so)', async () => {
    const res = await post([{ client: 'runner', fun: 'nodot' }]).expect(400);
    expect(res.body).to.deep.equal({ status: 400, return: 'A command invocation error occurred: Check syntax.' });
  });

  it('400 for a runner without fun', async () => {
    const res = await post([{ client: 'runner' }]).expect(400);
    expect(res.body).to.deep.equal({ status: 400, return: 'runner takes at least 1 argument (0 given)' });
  });

  it('wheel key.list_all returns the master reply whole', async () => {
    const res = await post([{ client: 'wheel', fun: 'key.list_all' }]).expect(200);
    const ret = res.body.return[0];
    expect(ret.tag).to.match(/^salt\/wheel\/\d{20}$/);
    expect(ret.data).to.include({ fun: 'wheel.key.list_all', success: true, user: 'saltdev' });
    expect(ret.data.return.minions).to.deep.equal(['minion-1', 'minion-2']);
    expect(Object.keys(ret.data.return)).to.have.members(['minions', 'minions_pre', 'minions_rejected', 'minions_denied', 'local']);
  });

  it('wheel_async answers with the jid the job runs under: ours before 3008, the master\'s from 3008', async () => {
    const before = h.sandbox.requests.length;
    const res = await post([{ client: 'wheel_async', fun: 'key.list_all' }]).expect(200);
    const { tag, jid } = res.body.return[0];
    expect(tag).to.equal(`salt/wheel/${jid as string}`);
    const load = h.sandbox.requests.slice(before).find((l) => l.cmd === 'wheel');
    expect(load).to.include({ fun: 'key.list_all', __user__: 'UNKNOWN' });
    expect(load!.__jid__ === jid).to.equal(!RELEASE.wheelPicksJid);
    // The job cache holds the answered jid's return: a client that looks it up finds the job.
    let ret: Record<string, unknown> = {};
    for (let i = 0; i < 50 && Object.keys(ret).length === 0; i++) {
      ret = (await h.http.get(`/jobs/${jid as string}`).set('X-Auth-Token', token).expect(200)).body.return[0];
      if (Object.keys(ret).length === 0) await sleep(20);
    }
    expect(Object.keys(ret)).to.deep.equal(['sandbox_master']);
  });

  it('wheel_async with a bogus token is a 401 and never a jid (CVE-2021-25281)', async () => {
    const before = h.sandbox.requests.filter((l) => l.cmd === 'wheel').length;
    const res = await h.http
      .post('/run')
      .send([{ client: 'wheel_async', fun: 'key.accept', match: '*', token: 'cd'.repeat(32) }])
      .expect(401);
    expect(res.body.return).to.equal('Authentication failure of type "token" occurred.');
    expect(h.sandbox.requests.filter((l) => l.cmd === 'wheel').length).to.equal(before);
  });
});
