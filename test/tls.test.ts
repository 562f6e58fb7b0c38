/** HTTPS with ssl_crt/ssl_key/ssl_chain and the session cookie's Secure attribute. */
import { expect } from 'chai';
import https from 'node:https';
import net from 'node:net';
import request from 'supertest';
import { settingsFromMaster } from '../src/config/settings.js';
import { createLogger } from '../src/log.js';
import { startSandbox } from '../src/sandbox/index.js';
import { startServer } from '../src/server.js';
import { RELEASE } from './support/release.js';
import { makeCertificates, type CertFiles } from './support/certs.js';
import { startHarness, type Harness } from './support/harness.js';
import { waitUntil } from './support/wait.js';

const CREDENTIALS = { username: 'saltdev', password: 'saltdev', eauth: 'auto' };

function setCookies(res: request.Response): string[] {
  return (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
}

/** The error a request fails with (supertest rejects on TLS and socket failures). */
async function failure(pending: PromiseLike<unknown>): Promise<NodeJS.ErrnoException> {
  try {
    await pending;
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
  throw new Error('the request unexpectedly succeeded');
}

describe('TLS', function () {
  this.timeout(30_000);
  let certs: CertFiles;
  before(async () => {
    certs = await makeCertificates();
  });
  after(async () => {
    await certs.remove();
  });

  describe('with a self-signed certificate', () => {
    let h: Harness;
    let ca: Buffer;
    before(async () => {
      h = await startHarness({ api: { disable_ssl: false, ssl_crt: certs.selfSignedCrt, ssl_key: certs.selfSignedKey } });
      ca = await certs.read(certs.selfSignedCrt);
    });
    after(async () => {
      await h.close();
    });

    it('listens on https and serves the API to a client that trusts the certificate', async () => {
      expect(h.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
      const res = await request(h.url).get('/').ca(ca).expect(200);
      expect(res.body).to.deep.include({ return: 'Welcome' });
    });

    it('logs in, marks the session cookie Secure and runs a command with the token (ssl-01, ssl-02)', async () => {
      const login = await request(h.url).post('/login').ca(ca).set('Accept', 'application/json').send(CREDENTIALS).expect(200);
      const token = (login.body as { return: { token: string }[] }).return[0]!.token;
      expect(login.headers['x-auth-token']).to.equal(token);
      const [cookie] = setCookies(login);
      expect(cookie).to.match(new RegExp(`^session_id=${token};`));
      expect(cookie).to.match(/; Secure(;|$)/);

      const run = await request(h.url)
        .post('/')
        .ca(ca)
        .set('Accept', 'application/json')
        .set('X-Auth-Token', token)
        .send([{ client: 'local', tgt: '*', fun: 'test.ping' }])
        .expect(200);
      expect(run.body).to.deep.equal({ return: [{ 'minion-1': true, 'minion-2': true }] });

      const logout = await request(h.url).post('/logout').ca(ca).set('X-Auth-Token', token).expect(200);
      expect(setCookies(logout)[0]).to.match(/^session_id=; .*; Secure(;|$)/);
    });

    it('is refused by a client that does not trust the certificate', async () => {
      const error = await failure(request(h.url).get('/'));
      expect(error.code).to.equal('DEPTH_ZERO_SELF_SIGNED_CERT');
    });

    it('does not answer plain HTTP on the TLS port', async () => {
      const socket = net.connect(Number(new URL(h.url).port), '127.0.0.1');
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      await new Promise<void>((resolve) => socket.on('close', () => resolve()));
      expect(Buffer.concat(received).toString('latin1')).not.to.include('HTTP/1.1 200');
    });
  });

  describe('with an intermediate certificate', () => {
    it('sends ssl_chain, so a client trusting only the root verifies the server', async () => {
      const h = await startHarness({
        api: { disable_ssl: false, ssl_crt: certs.leafCrt, ssl_key: certs.leafKey, ssl_chain: certs.intermediateCrt },
      });
      try {
        await request(h.url).get('/').ca(await certs.read(certs.rootCrt)).expect(200);
      } finally {
        await h.close();
      }
    });

    it('without ssl_chain the same client cannot verify the leaf', async () => {
      const h = await startHarness({ api: { disable_ssl: false, ssl_crt: certs.leafCrt, ssl_key: certs.leafKey } });
      try {
        const error = await failure(request(h.url).get('/').ca(await certs.read(certs.rootCrt)));
        expect(error.code).to.equal('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      } finally {
        await h.close();
      }
    });
  });

  it('on shutdown, makes an answer under way the last on its TLS connection', async () => {
    const h = await startHarness({ api: { disable_ssl: false, ssl_crt: certs.selfSignedCrt, ssl_key: certs.selfSignedKey } });
    const ca = await certs.read(certs.selfSignedCrt);
    const login = await request(h.url).post('/login').ca(ca).send(CREDENTIALS).expect(200);
    const token = (login.body as { return: { token: string }[] }).return[0]!.token;
    // A keep-alive client, as browsers and pepper are: it asks for nothing but the answer.
    const agent = new https.Agent({ keepAlive: true, ca });
    const body = JSON.stringify([{ client: 'runner', fun: 'test.sleep', arg: [1] }]);
    const asked = h.sandbox.requests.length;
    const answered = new Promise<{ status?: number; connection?: string; body: string }>((resolve, reject) => {
      const req = https.request(new URL('/', h.url), { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
    // The call is in flight once its runner reached the master; then the server stops.
    await waitUntil('the runner reached the master', () => h.sandbox.requests.slice(asked).some((load) => load.cmd === 'runner'));
    await h.close();
    agent.destroy();
    expect(await answered).to.deep.equal({ status: 200, connection: 'close', body: '{"return": [true]}' });
  });

  it('refuses to start when the key does not belong to the certificate', async () => {
    const sandbox = await startSandbox({ release: RELEASE.version });
    try {
      const raw = { ...sandbox.config, rest_koa: { port: 0, host: '127.0.0.1', ssl_crt: certs.selfSignedCrt, ssl_key: certs.leafKey } };
      const settings = settingsFromMaster(raw, 'test');
      const error = await failure(startServer(settings, createLogger({ level: 'error' })));
      expect(error.message).to.match(/key values mismatch/);
    } finally {
      await sandbox.stop();
    }
  });

  it('does not mark the cookie Secure over plain HTTP', async () => {
    const h = await startHarness();
    try {
      const login = await h.http.post('/login').send(CREDENTIALS).expect(200);
      expect(setCookies(login)[0]).not.to.include('Secure');
    } finally {
      await h.close();
    }
  });
});
