/**
 * `api_acl` holds on every path that takes credentials or a token, not only on /login (where
 * salt-api checked it): a token minted elsewhere, or eauth credentials on /run, do not get a
 * refused user in from a refused address.
 */
import { expect } from 'chai';
import request from 'supertest';
import WebSocket from 'ws';
import { settingsFromMaster } from '../src/config/settings.js';
import { createLogger } from '../src/log.js';
import { startServer, type RunningServer } from '../src/server.js';
import { login, startHarness, type Harness } from './support/harness.js';
import { openSse } from './support/sseClient.js';

const USERS = { saltdev: { password: 'saltdev' }, ops: { password: 'ops-pass' } };
const RIGHTS = ['.*', '@runner', '@wheel', '@jobs'];

/** The status of a WebSocket upgrade that is refused (or 101 when it is not). */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('error', () => undefined);
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
  });
}

describe('api_acl on every path that takes credentials or a token', function () {
  this.timeout(20000);
  let open: Harness;
  let guarded: RunningServer;
  let http: ReturnType<typeof request>;
  let token: string;
  let opsToken: string;

  before(async () => {
    open = await startHarness({ sandbox: { users: USERS, externalAuth: { auto: { saltdev: RIGHTS, ops: RIGHTS } } } });
    // The same master behind a second API whose api_acl lets saltdev in only from 10.9.9.9.
    const raw = {
      ...open.sandbox.config,
      rest_koa: { port: 0, host: '127.0.0.1', disable_ssl: true, api_acl: { users: { saltdev: ['10.9.9.9'], '*': ['*'] } } },
    };
    guarded = await startServer(settingsFromMaster(raw, 'api_acl'), createLogger({ level: 'error' }));
    http = request(guarded.url);
    token = await login(open);
    opsToken = await login(open, 'ops', 'ops-pass');
  });
  after(async () => {
    await guarded.close();
    await open.close();
  });

  const ping = [{ client: 'local', tgt: '*', fun: 'test.ping' }];
  const creds = { username: 'saltdev', password: 'saltdev', eauth: 'auto' };

  it('refuses the user everywhere from an address it is not listed for', async () => {
    await http.post('/login').send(creds).expect(401);
    await http.post('/token').send(creds).expect(401);
    await http.post('/run').send([{ ...ping[0], ...creds }]).expect(401);
    await http.post('/run').send([{ ...ping[0], token }]).expect(401);
    await http.post('/').set('X-Auth-Token', token).send(ping).expect(401);
    // On POST / the session's token replaces a chunk's: this runs as ops.
    const asOps = await http.post('/').set('X-Auth-Token', opsToken).send([{ ...ping[0], token }]).expect(200);
    expect(asOps.body.return).to.deep.equal([{ 'minion-1': true, 'minion-2': true }]);
    for (const path of ['/minions', '/jobs', '/stats']) await http.get(path).set('X-Auth-Token', token).expect(401);
    await http.get('/keys').set('X-Auth-Token', token).expect(401);
    await http.post('/hook/acl').set('X-Auth-Token', token).send({}).expect(401);
    await http.post('/logout').set('X-Auth-Token', token).expect(401);
    const stream = await openSse(guarded.url, `/events?token=${token}`);
    expect(stream.status).to.equal(401);
    stream.close();
    expect(await upgradeStatus(`${guarded.url.replace('http', 'ws')}/ws/${token}`)).to.equal(401);
  });

  it('lets a user listed for any address in, and the refused one in through the open API', async () => {
    await http.post('/').set('X-Auth-Token', opsToken).send(ping).expect(200);
    const minted = await http.post('/token').send({ username: 'ops', password: 'ops-pass', eauth: 'auto' }).expect(200);
    expect(minted.body[0].name).to.equal('ops');
    expect(await upgradeStatus(`${guarded.url.replace('http', 'ws')}/ws/${opsToken}`)).to.equal(101);
    await open.http.post('/').set('X-Auth-Token', token).send(ping).expect(200);
  });
});
