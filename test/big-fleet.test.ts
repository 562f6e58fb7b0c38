/** A big fleet through the whole stack: the sandbox simulating 20,000 minions, `local` gathering every return. */
import { expect } from 'chai';
import { startHarness, login, type Harness } from './support/harness.js';

const FLEET = 20_000;

describe('a fleet of 20,000 sandbox minions', function () {
  this.timeout(120_000);
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness({ sandbox: { minions: FLEET, record: false } });
    token = await login(h);
  });
  after(async () => {
    await h.close();
  });

  const post = (body: unknown) => h.http.post('/').set('X-Auth-Token', token).set('Accept', 'application/json').send(body as object);

  it('answers local test.ping with a return from every minion', async () => {
    const started = performance.now();
    const res = await post([{ client: 'local', tgt: '*', fun: 'test.ping' }]).expect(200);
    const answers = (res.body as { return: Record<string, unknown>[] }).return[0] ?? {};
    expect(Object.keys(answers)).to.have.length(FLEET);
    expect(Object.values(answers).every((value) => value === true)).to.equal(true);
    expect(answers).to.include({ 'minion-1': true, [`minion-${FLEET}`]: true });
    console.log(`      local test.ping, ${FLEET} minions: ${Math.round(performance.now() - started)} ms`);
  });

  it('answers local grains.items with every minion\'s grains', async () => {
    const started = performance.now();
    const res = await post([{ client: 'local', tgt: '*', fun: 'grains.items' }]).expect(200);
    const answers = (res.body as { return: Record<string, { id: string; ipv4: string[] }>[] }).return[0] ?? {};
    expect(Object.keys(answers)).to.have.length(FLEET);
    expect(answers[`minion-${FLEET}`]?.id).to.equal(`minion-${FLEET}`);
    expect(Object.entries(answers).every(([id, grains]) => grains.id === id)).to.equal(true);
    console.log(`      local grains.items, ${FLEET} minions: ${Math.round(performance.now() - started)} ms, ${res.text.length} bytes`);
  });
});

describe('a sandbox fleet answering over a return window', function () {
  this.timeout(30_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({ sandbox: { minions: 500, returnWindow: 1, record: false } });
  });
  after(async () => {
    await h.close();
  });

  it('spreads the returns of a job over the window, and local still gathers them all', async () => {
    const token = await login(h);
    const started = performance.now();
    const res = await h.http
      .post('/')
      .set('X-Auth-Token', token)
      .set('Accept', 'application/json')
      .send([{ client: 'local', tgt: '*', fun: 'test.ping' }])
      .expect(200);
    const answers = (res.body as { return: Record<string, unknown>[] }).return[0] ?? {};
    expect(Object.keys(answers)).to.have.length(500);
    // 500 points spread evenly over 1 s: the last one comes well past the middle of the window.
    expect(performance.now() - started).to.be.greaterThan(700);
  });
});
