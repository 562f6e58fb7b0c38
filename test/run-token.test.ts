/** /run and /token: credentials travel in the body. */
import { expect } from 'chai';
import { startHarness, login, type Harness } from './support/harness.js';

describe('/run and /token', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('GET /run and GET /token answer the welcome', async () => {
    for (const path of ['/run', '/token']) {
      const res = await h.http.get(path).expect(200);
      expect(res.body.return).to.equal('Welcome');
    }
  });

  it('POST /token answers a bare list of Salt tokens', async () => {
    const res = await h.http.post('/token').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200);
    expect(res.body).to.be.an('array').with.length(1);
    expect(res.body[0]).to.include({ name: 'saltdev', eauth: 'auto' });
    expect(res.body[0].token).to.match(/^[0-9a-f]{64}$/);
  });

  it('POST /token without all three params is a 400', async () => {
    const res = await h.http.post('/token').send({ username: 'saltdev', eauth: 'auto' }).expect(400);
    expect(res.body.return).to.equal('Require "username", "password", and "eauth" params');
  });

  it('POST /token with a chunk that is not a mapping is a 400, not a 500', async () => {
    const res = await h.http.post('/token').set('Content-Type', 'application/json').send('[null]').expect(400);
    expect(res.body.return).to.equal('Require "username", "password", and "eauth" params');
  });

  it('POST /run with a Salt token runs the chunk', async () => {
    const minted = await h.http.post('/token').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200);
    const res = await h.http
      .post('/run')
      .send([{ client: 'local', tgt: 'minion-1', fun: 'test.ping', token: minted.body[0].token }])
      .expect(200);
    expect(res.body).to.deep.equal({ return: [{ 'minion-1': true }] });
  });

  it('POST /run with eauth credentials publishes with a token, never the password', async () => {
    const before = h.sandbox.requests.length;
    const res = await h.http
      .post('/run')
      .send([{ client: 'local', tgt: 'minion-2', fun: 'test.ping', username: 'saltdev', password: 'saltdev', eauth: 'auto' }])
      .expect(200);
    expect(res.body).to.deep.equal({ return: [{ 'minion-2': true }] });
    const publish = h.sandbox.requests.slice(before).find((l) => l.cmd === 'publish');
    expect(JSON.stringify(publish)).to.not.include('"password"');
    expect((publish!.kwargs as Record<string, unknown>).token).to.match(/^[0-9a-f]{64}$/);
  });

  it('POST /run with a wrong password is a 401', async () => {
    const res = await h.http
      .post('/run')
      .send([{ client: 'local', tgt: '*', fun: 'test.ping', username: 'saltdev', password: 'bad', eauth: 'auto' }])
      .expect(401);
    expect(res.body.return).to.equal('Authentication error occurred.');
  });

  it('POST /run without credentials is a 401', async () => {
    const res = await h.http.post('/run').send([{ client: 'local', tgt: '*', fun: 'test.ping' }]).expect(401);
    expect(res.body).to.deep.equal({ status: 401, return: 'No authentication credentials given' });
  });

  it('POST /run with a malformed token is "Invalid token"', async () => {
    const res = await h.http.post('/run').send([{ client: 'runner', fun: 'test.arg', token: '../../etc/passwd' }]).expect(401);
    expect(res.body.return).to.equal('Invalid token');
  });

  it('the /login token also works on /run', async () => {
    const token = await login(h);
    const res = await h.http.post('/run').send([{ client: 'runner', fun: 'test.arg', arg: ['z'], token }]).expect(200);
    expect(res.body.return[0].args).to.deep.equal(['z']);
  });
});
