/** /minions and /jobs against the sandbox master. */
import { expect } from 'chai';
import { startHarness, login, type Harness } from './support/harness.js';

describe('/minions and /jobs', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness();
    token = await login(h);
  });
  after(async () => {
    await h.close();
  });

  it('GET /minions returns the grains of every minion', async () => {
    const res = await h.http.get('/minions').set('X-Auth-Token', token).expect(200);
    const ret = res.body.return[0];
    expect(Object.keys(ret)).to.have.members(['minion-1', 'minion-2']);
    expect(ret['minion-1']).to.include({ id: 'minion-1' });
    expect(ret['minion-1']).to.have.property('os');
  });

  it('GET /minions/<mid> returns one minion; a trailing slash is fine', async () => {
    const res = await h.http.get('/minions/minion-2/').set('X-Auth-Token', token).expect(200);
    expect(Object.keys(res.body.return[0])).to.deep.equal(['minion-2']);
    const none = await h.http.get('/minions/nobody').set('X-Auth-Token', token).expect(200);
    expect(none.body).to.deep.equal({ return: [{}] });
  });

  it('GET /minions without a session is a 401', async () => {
    await h.http.get('/minions').expect(401);
  });

  it('POST /minions forces local_async and answers 202 with job links', async () => {
    const res = await h.http
      .post('/minions')
      .set('X-Auth-Token', token)
      .send([{ client: 'local', tgt: 'minion-1', fun: 'test.ping' }])
      .expect(202);
    const jid = res.body.return[0].jid as string;
    expect(res.body.return[0].minions).to.deep.equal(['minion-1']);
    expect(res.body._links).to.deep.equal({ jobs: [{ href: `/jobs/${jid}` }] });
    const none = await h.http.post('/minions').set('X-Auth-Token', token).send({ tgt: 'nobody', fun: 'test.ping' }).expect(202);
    expect(none.body).to.deep.equal({ return: [{}], _links: { jobs: [] } });
  });

  it('GET /jobs lists jobs and GET /jobs/<jid> shows one', async () => {
    const run = await h.http
      .post('/')
      .set('X-Auth-Token', token)
      .send([{ client: 'local', tgt: 'minion-1', fun: 'test.echo', arg: ['hi'], full_return: true }])
      .expect(200);
    const jid = run.body.return[0]['minion-1'].jid as string;
    const list = await h.http.get('/jobs').set('X-Auth-Token', token).expect(200);
    const job = list.body.return[0][jid];
    expect(job).to.include({ Function: 'test.echo', Target: 'minion-1', 'Target-type': 'glob', User: 'saltdev' });
    expect(job.StartTime).to.match(/^\d{4}, [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/);
    const one = await h.http.get(`/jobs/${jid}`).set('X-Auth-Token', token).expect(200);
    expect(one.body.return).to.deep.equal([{ 'minion-1': 'hi' }]);
    expect(one.body.info[0]).to.include({ jid, Function: 'test.echo' });
    expect(one.body.info[0].Result['minion-1']).to.include({ return: 'hi' });
  });

  it('GET /jobs/<unknown> answers 200 with the runner error', async () => {
    const res = await h.http.get('/jobs/20000101000000000000').set('X-Auth-Token', token).expect(200);
    expect(res.body.return).to.deep.equal([{}]);
    expect(res.body.info[0]).to.include({ jid: '20000101000000000000', Error: 'Cannot contact returner or no job with this jid' });
    expect(res.body.info[0].Result).to.deep.equal({});
  });
});
