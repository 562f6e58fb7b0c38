/** The local clients through POST / against the sandbox master: formats, shapes, timing, errors. */
import { expect } from 'chai';
import { startHarness, login, type Harness } from './support/harness.js';
import { fold, readCapture } from './support/capture.js';

describe('POST / with local and local_async', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness({
      sandbox: {
        minions: { 'minion-1': {}, 'minion-2': {}, slowpoke: { delay: 2.5 }, ghost: { down: true } },
        users: { saltdev: { password: 'saltdev' }, pinger: { password: 'pinger' } },
        externalAuth: { auto: { saltdev: ['.*', '@runner', '@wheel', '@jobs'], pinger: ['test.ping'] } },
      },
    });
    token = await login(h);
  });
  after(async () => {
    await h.close();
  });

  const post = (body: unknown) => h.http.post('/').set('X-Auth-Token', token).set('Accept', 'application/json').send(body as object);

  it('runs test.ping on the two minions like the capture', async () => {
    const capture = readCapture('cherrypy-05-local-test.ping-json.txt');
    const res = await post([{ client: 'local', tgt: 'minion-*', fun: 'test.ping' }]).expect(200);
    expect(res.headers['content-type']).to.equal('application/json');
    expect(res.body).to.deep.equal(JSON.parse(capture.body));
  });

  it('accepts a form body with one command', async () => {
    const res = await h.http
      .post('/')
      .set('X-Auth-Token', token)
      .type('form')
      .send('client=local&tgt=minion-1&fun=test.echo&arg=hello')
      .expect(200);
    expect(res.body).to.deep.equal({ return: [{ 'minion-1': 'hello' }] });
  });

  it('accepts a YAML body and answers in YAML', async () => {
    const res = await h.http
      .post('/')
      .set('X-Auth-Token', token)
      .set('Content-Type', 'application/x-yaml')
      .set('Accept', 'application/x-yaml')
      .send('- client: local\n  tgt: minion-1\n  fun: test.ping\n')
      .expect(200);
    expect(res.text).to.equal('return:\n- minion-1: true\n');
  });

  it('passes arg and kwarg to the minion like the capture', async () => {
    const capture = readCapture('cherrypy-05-local-args.txt');
    const res = await post(JSON.parse(capture.requestBody!)).expect(200);
    expect(fold(res.body)).to.deep.equal(fold(JSON.parse(capture.body)));
  });

  it('runs chunks in order, one return element each', async () => {
    const capture = readCapture('cherrypy-05-local-multi.txt');
    const res = await post(JSON.parse(capture.requestBody!)).expect(200);
    expect(res.body).to.deep.equal(JSON.parse(capture.body));
  });

  it('a single mapping is one chunk and a scalar arg is wrapped', async () => {
    const res = await post({ client: 'local', tgt: 'minion-1', fun: 'test.echo', arg: 'solo' }).expect(200);
    expect(res.body).to.deep.equal({ return: [{ 'minion-1': 'solo' }] });
  });

  it('a target matching nothing gives an empty result', async () => {
    const res = await post([{ client: 'local', tgt: 'nomatch*', fun: 'test.ping' }]).expect(200);
    expect(res.body).to.deep.equal({ return: [{}] });
  });

  it('reports list-targeted ids without a key as did-not-return', async () => {
    const res = await post([{ client: 'local', tgt: 'minion-1,unknown-9', tgt_type: 'list', fun: 'test.ping' }]).expect(200);
    const result = res.body.return[0];
    expect(result['minion-1']).to.equal(true);
    expect(result['unknown-9']).to.match(/^Minion did not return\. \[No response\]\n/).and.match(/salt-run jobs\.lookup_jid \d{20}$/);
  });

  it('gives full returns with full_return', async () => {
    const res = await post([{ client: 'local', tgt: 'minion-1', fun: 'test.ping', full_return: true }]).expect(200);
    const full = res.body.return[0]['minion-1'];
    expect(full).to.include({ ret: true, retcode: 0 });
    expect(full.jid).to.match(/^\d{20}$/);
  });

  it('local_async answers at once with the jid and minions', async () => {
    const res = await post([{ client: 'local_async', tgt: 'minion-*', fun: 'test.ping' }]).expect(200);
    const result = res.body.return[0];
    expect(result.jid).to.match(/^\d{20}$/);
    expect(result.minions).to.have.members(['minion-1', 'minion-2']);
    expect(Object.keys(result)).to.deep.equal(['jid', 'minions']);
  });

  it('local_async matching nothing gives {}', async () => {
    const res = await post([{ client: 'local_async', tgt: 'nomatch', fun: 'test.ping' }]).expect(200);
    expect(res.body).to.deep.equal({ return: [{}] });
  });

  it('keeps waiting for a slow minion that find_job reports as running', async function () {
    this.timeout(15000);
    const started = Date.now();
    const res = await post([{ client: 'local', tgt: 'slowpoke', fun: 'test.ping', timeout: 1, gather_job_timeout: 1 }]).expect(200);
    expect(res.body).to.deep.equal({ return: [{ slowpoke: true }] });
    expect(Date.now() - started).to.be.greaterThan(2000);
    const findJobs = h.sandbox.requests.filter((l) => l.cmd === 'publish' && l.fun === 'saltutil.find_job');
    expect(findJobs.length).to.be.greaterThan(0);
  });

  it('gives up on a down minion after timeout + gather_job_timeout with false', async function () {
    this.timeout(15000);
    const started = Date.now();
    const res = await post([{ client: 'local', tgt: 'ghost', fun: 'test.ping', timeout: 1, gather_job_timeout: 1 }]).expect(200);
    const elapsed = Date.now() - started;
    expect(res.body).to.deep.equal({ return: [{ ghost: false }] });
    expect(elapsed).to.be.within(1800, 6000);
  });

  it('the master refuses a function the user may not run', async () => {
    const limited = await h.http
      .post('/login')
      .send({ username: 'pinger', password: 'pinger', eauth: 'auto' })
      .expect(200);
    const t = limited.body.return[0].token as string;
    const res = await h.http.post('/').set('X-Auth-Token', t).send([{ client: 'local', tgt: '*', fun: 'cmd.run', arg: ['id'] }]).expect(401);
    expect(res.body).to.deep.equal({ status: 401, return: 'Authorization error occurred.' });
  });

  it('refuses a compound job unless every function is allowed, before publishing', async () => {
    const limited = await h.http.post('/login').send({ username: 'pinger', password: 'pinger', eauth: 'auto' }).expect(200);
    const t = limited.body.return[0].token as string;
    const before = h.sandbox.executed.length;
    const res = await h.http
      .post('/')
      .set('X-Auth-Token', t)
      .send([{ client: 'local', tgt: 'minion-1', fun: ['test.ping', 'cmd.run'], arg: [[], ['id']] }])
      .expect(401);
    expect(res.body.return).to.equal('Authorization error occurred.');
    expect(h.sandbox.executed.slice(before).filter((e) => e.fun === 'cmd.run')).to.have.length(0);
  });
});
