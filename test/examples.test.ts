/** The custom serializer examples work end to end, through the public entry points only. */
import { expect } from 'chai';
import request from 'supertest';
import { pack, unpack } from 'msgpackr';
import { main } from '../examples/csv-serializer.js';
import { main as msgpackMain } from '../examples/msgpack-serializer.js';

describe('examples/csv-serializer', () => {
  let running: Awaited<ReturnType<typeof main>>;
  before(async () => {
    running = await main(0);
  });
  after(async () => {
    await running.stop();
  });

  it('renders a command as CSV when asked for text/csv', async () => {
    const http = request(running.url);
    const login = await http.post('/login').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200);
    const res = await http
      .post('/')
      .set('X-Auth-Token', login.body.return[0].token as string)
      .set('Accept', 'text/csv')
      .send([{ client: 'local', tgt: 'minion-*', fun: 'test.ping' }])
      .expect(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    expect(res.text.split('\r\n').sort()).to.deep.equal(['', 'minion,value', 'minion-1,true', 'minion-2,true']);
  });

  it('still answers JSON by default', async () => {
    const res = await request(running.url).get('/').expect(200);
    expect(res.headers['content-type']).to.equal('application/json');
  });
});

describe('examples/msgpack-serializer', () => {
  let running: Awaited<ReturnType<typeof msgpackMain>>;
  before(async () => {
    running = await msgpackMain(0);
  });
  after(async () => {
    await running.stop();
  });

  /** A raw POST; supertest would not hand back a binary answer as bytes by itself. */
  async function post(path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; type: string | null; body: Buffer }> {
    const res = await fetch(new URL(path, running.url), { method: 'POST', headers: { 'Content-Type': 'application/msgpack', ...headers }, body: new Uint8Array(body) });
    return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
  }

  it('reads a msgpack lowstate and answers in msgpack', async () => {
    const login = await post('/login', pack({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }), { Accept: 'application/msgpack' });
    expect(login.status).to.equal(200);
    expect(login.type).to.equal('application/msgpack');
    const token = (unpack(login.body) as { return: { token: string }[] }).return[0]!.token;
    const res = await post('/', pack([{ client: 'local', tgt: 'minion-*', fun: 'test.ping' }]), { Accept: 'application/msgpack', 'X-Auth-Token': token });
    expect(res.status).to.equal(200);
    expect(unpack(res.body)).to.deep.equal({ return: [{ 'minion-1': true, 'minion-2': true }] });
  });

  it('gets big minion returns (kept packed inside the API) decoded: grains.items in msgpack is the JSON answer', async () => {
    const login = await request(running.url).post('/login').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200);
    const token = login.body.return[0].token as string;
    const lowstate = [{ client: 'local', tgt: 'minion-*', fun: 'grains.items' }];
    const json = await request(running.url).post('/').set('X-Auth-Token', token).send(lowstate).expect(200);
    expect(json.body.return[0]['minion-1']).to.include({ id: 'minion-1', os: 'Debian' });
    const res = await post('/', pack(lowstate), { Accept: 'application/msgpack', 'X-Auth-Token': token });
    expect(res.status).to.equal(200);
    expect(unpack(res.body)).to.deep.equal(json.body);
  });

  it('refuses a body that is no msgpack with a 400, and one over its own limit with a 413, in msgpack', async () => {
    // A map of two entries that ends after one byte of its first key.
    const bad = await post('/login', Buffer.from([0x82, 0xa1]), { Accept: 'application/msgpack' });
    expect(bad.status).to.equal(400);
    expect(unpack(bad.body)).to.deep.equal({ status: 400, return: 'Invalid msgpack document' });
    const big = await post('/login', pack({ username: 'x'.repeat(70 * 1024) }), { Accept: 'application/msgpack' });
    expect(big.status).to.equal(413);
    expect(unpack(big.body)).to.deep.include({ status: 413 });
  });
});
