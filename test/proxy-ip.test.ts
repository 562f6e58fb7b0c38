/**
 * The client address: socket peer, X-Forwarded-For only from trusted_proxies, never a client-sent
 * Remote-Addr; authorized_ips (403) and api_acl (/login, 401) judged on it. Requests come from
 * 127.0.0.1 or 127.0.0.2 (both loopback on Linux) to tell a trusted proxy from anyone else.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settingsFromMaster } from '../src/config/settings.js';
import { IpRanges, resolveClient } from '../src/clientAddress.js';
import { startHarness, type Harness } from './support/harness.js';
import { rawRequest, type RawOptions } from './support/raw.js';

const HERE = '127.0.0.1';
const PROXY = '127.0.0.2';
const LOGIN = JSON.stringify({ username: 'saltdev', password: 'saltdev', eauth: 'auto' });

function get(h: Harness, path: string, from: string, headers: Record<string, string> = {}, options: RawOptions = {}) {
  return rawRequest(h.url, path, { localAddress: from, headers, ...options });
}

function login(h: Harness, from: string, headers: Record<string, string> = {}) {
  return rawRequest(h.url, '/login', {
    method: 'POST',
    localAddress: from,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: LOGIN,
  });
}

function fakeRequest(peer: string, headers: Record<string, string> = {}, encrypted = false): IncomingMessage {
  return { socket: { remoteAddress: peer, encrypted }, headers } as unknown as IncomingMessage;
}

describe('client address', () => {
  describe('resolveClient', () => {
    const trusted = new IpRanges(['10.0.0.0/8', '192.168.1.1', 'fd00::/8']);

    it('is the socket peer when the peer is not a trusted proxy, whatever the headers say', () => {
      const req = fakeRequest('203.0.113.7', { 'x-forwarded-for': '10.1.1.1', 'remote-addr': '10.1.1.1', 'x-forwarded-proto': 'https' });
      expect(resolveClient(req, trusted)).to.deep.equal({ ip: '203.0.113.7', secure: false, prefix: '' });
    });

    it('takes the right-most address no trusted proxy added', () => {
      const cases: [string, string][] = [
        ['198.51.100.1', '198.51.100.1'],
        ['6.6.6.6, 198.51.100.1', '198.51.100.1'],
        ['198.51.100.1, 10.2.2.2', '198.51.100.1'],
        ['1.1.1.1, 198.51.100.1, 192.168.1.1, 10.2.2.2', '198.51.100.1'],
        ['10.3.3.3, 10.2.2.2', '10.3.3.3'],
        ['198.51.100.1:4711', '198.51.100.1'],
        ['[2001:db8::1]:443', '2001:db8::1'],
        ['::ffff:198.51.100.1', '198.51.100.1'],
        ['garbage, 198.51.100.1', '198.51.100.1'],
      ];
      for (const [header, expected] of cases) {
        expect(resolveClient(fakeRequest('::ffff:10.0.0.5', { 'x-forwarded-for': header }), trusted).ip, header).to.equal(expected);
      }
    });

    it('is the proxy itself when it forwards nothing', () => {
      expect(resolveClient(fakeRequest('10.0.0.5'), trusted).ip).to.equal('10.0.0.5');
      expect(resolveClient(fakeRequest('fd00::5', { 'x-forwarded-for': ' , ' }), trusted).ip).to.equal('fd00::5');
    });

    it('takes the scheme from the nearest trusted proxy, else from the socket', () => {
      expect(resolveClient(fakeRequest('10.0.0.5', { 'x-forwarded-proto': 'https' }), trusted).secure).to.equal(true);
      expect(resolveClient(fakeRequest('10.0.0.5', { 'x-forwarded-proto': 'https, http' }), trusted).secure).to.equal(false);
      expect(resolveClient(fakeRequest('10.0.0.5', { 'x-forwarded-proto': 'http, HTTPS' }), trusted).secure).to.equal(true);
      expect(resolveClient(fakeRequest('10.0.0.5', {}, true), trusted).secure).to.equal(true);
      expect(resolveClient(fakeRequest('203.0.113.7', { 'x-forwarded-proto': 'https' }), trusted).secure).to.equal(false);
    });

    it('reports IPv4-mapped peers in IPv4 form', () => {
      expect(resolveClient(fakeRequest('::ffff:127.0.0.1'), new IpRanges([])).ip).to.equal('127.0.0.1');
    });
  });

  describe('authorized_ips without trusted proxies', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ api: { authorized_ips: [HERE], cors_origin: '*' } });
    });
    after(async () => {
      await h.close();
    });

    it('serves a listed address', async () => {
      expect((await get(h, '/', HERE)).status).to.equal(200);
    });

    it('answers any other address 403 "Bad IP" in the API format, before authentication', async () => {
      const res = await get(h, '/', PROXY);
      expect(res.status).to.equal(403);
      expect(res.headers['content-type']).to.equal('application/json');
      expect(JSON.parse(res.body)).to.deep.equal({ status: 403, return: 'Bad IP' });
      const post = await get(h, '/', PROXY, { 'Content-Type': 'application/json' }, { method: 'POST', body: '[]' });
      expect(post.status).to.equal(403);
    });

    it('ignores a spoofed Remote-Addr, X-Forwarded-For, X-Real-IP or Forwarded', async () => {
      for (const [name, value] of [
        ['Remote-Addr', HERE],
        ['X-Forwarded-For', HERE],
        ['X-Real-IP', HERE],
        ['Forwarded', `for=${HERE}`],
        ['Client-IP', HERE],
      ] as const) {
        const res = await get(h, '/', PROXY, { [name]: value });
        expect(res.status, name).to.equal(403);
      }
    });

    it('still answers CORS preflights from anywhere', async () => {
      const res = await get(h, '/', PROXY, { Origin: 'https://x.example', 'Access-Control-Request-Method': 'POST' }, { method: 'OPTIONS' });
      expect(res.status).to.equal(204);
    });
  });

  describe('authorized_ips and static files', () => {
    it('does not apply to static files and the app page, as in salt-api', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'salt-api-koa-ip-'));
      writeFileSync(join(dir, 'a.txt'), 'a');
      writeFileSync(join(dir, 'app.html'), '<p>app</p>');
      const h = await startHarness({ api: { authorized_ips: [HERE], static: dir, app: join(dir, 'app.html') } });
      try {
        expect((await get(h, '/static/a.txt', PROXY)).status).to.equal(200);
        expect((await get(h, '/app/x', PROXY)).status).to.equal(200);
        expect((await get(h, '/minions', PROXY)).status).to.equal(403);
      } finally {
        await h.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('behind a trusted proxy', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ api: { authorized_ips: ['10.0.0.0/24'], trusted_proxies: [PROXY] } });
    });
    after(async () => {
      await h.close();
    });

    it('takes the client from X-Forwarded-For sent by the proxy', async () => {
      expect((await get(h, '/', PROXY, { 'X-Forwarded-For': '10.0.0.1' })).status).to.equal(200);
      expect((await get(h, '/', PROXY, { 'X-Forwarded-For': '203.0.113.9, 10.0.0.1' })).status).to.equal(200);
      expect((await get(h, '/', PROXY, { 'X-Forwarded-For': '10.0.0.1, 203.0.113.9' })).status).to.equal(403);
      expect((await get(h, '/', PROXY, { 'X-Forwarded-For': '10.0.1.1' })).status).to.equal(403);
    });

    it('judges the proxy itself when it forwards no address', async () => {
      expect((await get(h, '/', PROXY)).status).to.equal(403);
    });

    it('ignores X-Forwarded-For from anyone who is not the proxy', async () => {
      expect((await get(h, '/', HERE, { 'X-Forwarded-For': '10.0.0.1' })).status).to.equal(403);
      expect((await get(h, '/', HERE, { 'Remote-Addr': '10.0.0.1' })).status).to.equal(403);
    });

    it('marks the cookie Secure when the proxy says the client used https', async () => {
      const h2 = await startHarness({ api: { trusted_proxies: [PROXY] } });
      try {
        const viaProxy = await login(h2, PROXY, { 'X-Forwarded-Proto': 'https' });
        expect(viaProxy.status).to.equal(200);
        expect(String(viaProxy.headers['set-cookie'])).to.match(/; Secure(;|$)/);
        const direct = await login(h2, HERE, { 'X-Forwarded-Proto': 'https' });
        expect(direct.status).to.equal(200);
        expect(String(direct.headers['set-cookie'])).not.to.include('Secure');
      } finally {
        await h2.close();
      }
    });
  });

  describe('api_acl on /login', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ api: { api_acl: { users: { saltdev: ['10.0.0.1'] } }, trusted_proxies: [PROXY] } });
    });
    after(async () => {
      await h.close();
    });

    it('refuses the login from an address not listed for the user', async () => {
      expect((await login(h, HERE)).status).to.equal(401);
      expect((await login(h, PROXY)).status).to.equal(401);
    });

    it('is not fooled by Remote-Addr or X-Forwarded-For from an untrusted peer', async () => {
      expect((await login(h, HERE, { 'Remote-Addr': '10.0.0.1' })).status).to.equal(401);
      expect((await login(h, HERE, { 'X-Forwarded-For': '10.0.0.1' })).status).to.equal(401);
    });

    it('accepts the login when the trusted proxy forwards a listed address', async () => {
      expect((await login(h, PROXY, { 'X-Forwarded-For': '10.0.0.1' })).status).to.equal(200);
      expect((await login(h, PROXY, { 'X-Forwarded-For': '10.0.0.1, 10.0.0.9' })).status).to.equal(401);
    });

    it('refuses usernames that name inherited members of a mapping (constructor, __proto__, toString) with 401, not 500', async () => {
      for (const username of ['constructor', '__proto__', 'toString']) {
        const res = await h.http.post('/login').set('Accept', 'application/json').send({ username, password: 'x', eauth: 'auto' });
        expect(res.status, username).to.equal(401);
        expect(res.body, username).to.deep.equal({ status: 401, return: 'Could not authenticate using provided credentials' });
      }
    });
  });

  it('refuses authorized_ips entries that are not addresses', () => {
    const raw = { rest_koa: { port: 8000, disable_ssl: true, authorized_ips: ['10.0.0.1', 'localhost'] } };
    expect(() => settingsFromMaster(raw, 'test')).to.throw('rest_koa.authorized_ips[1]: expected an IP address or CIDR range, got "localhost"');
  });
});
