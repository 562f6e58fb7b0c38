/**
 * Every event-stream reader sees the whole master bus, so no password and no token may ever be on
 * it, whatever endpoint is used. The raw bytes of every published frame are checked, and so is
 * every load the API sends the master: a password only ever travels in `mk_token`.
 */
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { login, startHarness, type Harness } from './support/harness.js';
import { openSse } from './support/sseClient.js';
import { BusFrameReader } from '../src/salt/busFraming.js';
import { frameBody, parseEventBody } from '../src/salt/codec.js';
import type { EventFrame } from '../src/salt/types.js';

const PASSWORD = 'Correct-Horse-7f3a';
const USER = 'alice';

describe('no password or token on the event bus, from any endpoint', function () {
  this.timeout(30000);
  let h: Harness;
  const frames: Buffer[] = [];
  let bus: net.Socket;

  before(async () => {
    h = await startHarness({
      sandbox: {
        users: { [USER]: { password: PASSWORD } },
        externalAuth: { auto: { [USER]: ['.*', '@runner', '@wheel', '@jobs'] }, sharedsecret: { [USER]: ['.*'] } },
      },
    });
    bus = net.connect(path.join(h.settings.master.sock_dir, 'master_event_pub.ipc'));
    bus.on('data', (chunk: Buffer) => frames.push(chunk));
    await new Promise((resolve) => bus.once('connect', resolve));
  });
  after(async () => {
    bus.destroy();
    await h.close();
  });

  it('exercises every endpoint and finds neither on the bus nor in a load but mk_token', async () => {
    const creds = { username: USER, password: PASSWORD, eauth: 'auto' };
    const tokens: string[] = [await login(h, USER, PASSWORD)];
    const form = await h.http.post('/login').type('form').send(creds).expect(200);
    tokens.push(form.body.return[0].token);
    const minted = await h.http.post('/token').send(creds).expect(200);
    tokens.push(minted.body[0].token);
    const [token] = tokens as [string];

    const lowstates = [
      { client: 'local', tgt: '*', fun: 'test.ping' },
      { client: 'local_async', tgt: '*', fun: 'test.ping' },
      { client: 'local_batch', tgt: '*', fun: 'test.ping', batch: '1' },
      { client: 'local_subset', tgt: '*', fun: 'test.ping', subset: 1 },
      { client: 'runner', fun: 'test.arg', arg: ['x'] },
      { client: 'runner_async', fun: 'test.arg', arg: ['x'] },
      { client: 'wheel', fun: 'key.list_all' },
      { client: 'wheel_async', fun: 'key.list_all' },
    ];
    for (const chunk of lowstates) {
      await h.http.post('/').set('X-Auth-Token', token).send([chunk]).expect(200);
      await h.http.post('/run').send([{ ...chunk, ...creds }]).expect(200);
      await h.http.post('/run').send([{ ...chunk, token }]).expect(200);
    }
    await h.http.get('/minions').set('X-Auth-Token', token).expect(200);
    await h.http.post('/minions').set('X-Auth-Token', token).send([{ tgt: '*', fun: 'test.ping' }]).expect(202);
    await h.http.get('/jobs').set('X-Auth-Token', token).expect(200);
    await h.http.get('/keys').set('X-Auth-Token', token).expect(200);
    await h.http.post('/hook/secrets').set('X-Auth-Token', token).set('Cookie', `session_id=${token}`).send({ a: 1 }).expect(200);
    await h.http.post('/run').send([{ client: 'local', tgt: '*', fun: 'test.ping', username: USER, password: 'wrong-guess-9', eauth: 'auto' }]).expect(401);
    const stream = await openSse(h.url, `/events?token=${token}`);
    stream.close();
    await h.http.post('/logout').set('X-Auth-Token', tokens[1]!).expect(200);

    // Everything published so far has arrived once a marker fired after it has.
    h.sandbox.fireEvent('test/secrets/done', {});
    for (let i = 0; i < 100 && !Buffer.concat(frames).includes('test/secrets/done'); i++) await new Promise((r) => setTimeout(r, 20));
    const published = Buffer.concat(frames);
    expect(published.includes('salt/job/'), 'jobs ran').to.equal(true);
    expect(published.includes('salt/netapi/hook/secrets'), 'the hook fired').to.equal(true);
    const events: EventFrame[] = [];
    new BusFrameReader((frame) => events.push(parseEventBody(frameBody(frame)!)!)).push(published);
    for (const secret of [PASSWORD, 'wrong-guess-9', ...tokens]) {
      const leaks = events.filter((event) => JSON.stringify(event).includes(secret)).map((event) => event.tag);
      expect(leaks, `events carrying ${secret}`).to.deep.equal([]);
      expect(published.includes(secret), `${secret} in the bus bytes`).to.equal(false);
    }

    const withPassword = h.sandbox.requests.filter((load) => JSON.stringify(load).includes(PASSWORD)).map((load) => load.cmd);
    expect(withPassword.length).to.be.greaterThan(0);
    expect([...new Set(withPassword)]).to.deep.equal(['mk_token']);
  });
});
