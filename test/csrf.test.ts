/**
 * Cross-site request forgery through the session cookie (issue 11, item 3). The cookie is
 * `SameSite=Lax`, so a browser sends it with a form or `text/plain` POST from any page of the same
 * site: another port, a sibling subdomain. A request that only the cookie authenticates, on any
 * method but GET and HEAD, must come from our own origin or one in `cors_origin` (Origin, else
 * Sec-Fetch-Site); a request with neither header is no browser's and passes; X-Auth-Token is
 * unaffected. The cookie itself is scoped to `root_prefix`.
 */
import { expect } from 'chai';
import { load as loadYaml } from 'js-yaml';
import WebSocket from 'ws';
import { login, startHarness, type Harness } from './support/harness.js';

const REFUSED = { status: 403, return: 'Origin not allowed: list it in cors_origin to use the session cookie from there' };
const LISTED = 'https://console.example';
/** The attack of the issue: a form posted from another page, running cmd.run with the visitor's cookie. */
const FORM = 'client=local&tgt=*&fun=cmd.run&arg=id';

/** Only the cmd.run executions the sandbox simulated so far. */
const cmdRuns = (h: Harness) => h.sandbox.executed.filter((run) => run.fun === 'cmd.run').length;

/** The status of a WebSocket upgrade: 101, or the status of the refusal. */
function upgradeStatus(h: Harness, path: string, options: WebSocket.ClientOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${h.url.replace(/^http/, 'ws')}${path}`, options);
    socket.once('open', () => {
      socket.terminate();
      resolve(101);
    });
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    socket.once('error', (error) => reject(error));
  });
}

describe('session cookie from other origins (CSRF)', () => {
  let h: Harness;
  let token: string;
  let cookie: string;
  let own: string;
  /** Same site, another port: exactly what SameSite=Lax does not keep out. */
  let sibling: string;

  before(async () => {
    h = await startHarness({ api: { cors_origin: [LISTED, '*'] } });
    token = await login(h);
    cookie = `session_id=${token}`;
    own = new URL(h.url).origin;
    sibling = `http://127.0.0.1:${Number(new URL(h.url).port) + 1}`;
  });
  after(async () => {
    await h.close();
  });

  const formPost = (origin?: string) => {
    const req = h.http.post('/').set('Cookie', cookie).type('form');
    return origin === undefined ? req : req.set('Origin', origin);
  };

  it('refuses a form or text/plain POST that only the cookie authenticates, from another port, a sibling subdomain, another scheme, elsewhere, or Origin: null; nothing runs', async () => {
    const before = h.sandbox.requests.length;
    const ran = cmdRuns(h);
    for (const origin of [sibling, 'http://api.127.0.0.1.nip.io', own.replace(/^http:/, 'https:'), 'https://evil.example', 'null', `${own}/path`, `${own}, ${own}`]) {
      const res = await formPost(origin).send(FORM);
      expect(res.status, origin).to.equal(403);
      expect(res.headers['content-type']).to.equal('application/json');
      expect(res.body).to.deep.equal(REFUSED);
    }
    const plain = await h.http.post('/').set('Cookie', cookie).set('Origin', sibling).set('Content-Type', 'text/plain').send(JSON.stringify([{ client: 'local', tgt: '*', fun: 'cmd.run', arg: ['id'] }]));
    expect(plain.status).to.equal(403);
    // Refused before the master is even asked about the token.
    expect(h.sandbox.requests.length).to.equal(before);
    expect(cmdRuns(h)).to.equal(ran);
  });

  it('answers the refusal in the negotiated format', async () => {
    const res = await formPost(sibling).set('Accept', 'application/x-yaml').send(FORM).expect(403);
    expect(res.headers['content-type']).to.equal('application/x-yaml');
    expect(loadYaml(res.text)).to.deep.equal(REFUSED);
  });

  it('without Origin, goes by Sec-Fetch-Site: same-origin and none (typed, bookmarked) pass, same-site and cross-site do not', async () => {
    for (const site of ['same-site', 'cross-site', 'bogus']) {
      const res = await formPost().set('Sec-Fetch-Site', site).send(FORM);
      expect(res.status, site).to.equal(403);
      expect(res.body).to.deep.equal(REFUSED);
    }
    for (const site of ['same-origin', 'none']) {
      await formPost().set('Sec-Fetch-Site', site).send('client=local&tgt=*&fun=test.ping').expect(200);
    }
  });

  it('admits our own origin, a listed one and a request with neither header (curl), and runs it; cors_origin "*" lists nobody', async () => {
    const ran = cmdRuns(h);
    for (const origin of [own, LISTED, undefined]) {
      const res = await formPost(origin).send(FORM).expect(200);
      expect(Object.keys((res.body as { return: Record<string, unknown>[] }).return[0]!)).to.have.members(['minion-1', 'minion-2']);
    }
    expect(cmdRuns(h)).to.equal(ran + 6);
    // The wildcard never grants the cookie (browsers refuse credentials with * too).
    await formPost('https://anyone.example').send(FORM).expect(403);
  });

  it('checks only what the cookie alone authenticates and may change things: a forged POST /logout is refused, X-Auth-Token and GET are not', async () => {
    // A session of its own: the others' must survive this test even when it fails.
    const mine = await login(h);
    const res = await h.http.post('/logout').set('Cookie', `session_id=${mine}`).set('Origin', sibling).expect(403);
    expect(res.body).to.deep.equal(REFUSED);
    expect(res.headers['set-cookie']).to.equal(undefined);
    await h.http.get('/minions').set('X-Auth-Token', mine).expect(200);

    await h.http.post('/').set('X-Auth-Token', token).set('Cookie', cookie).set('Origin', sibling).set('Sec-Fetch-Site', 'same-site').type('form').send(FORM).expect(200);
    await h.http.get('/minions').set('Cookie', cookie).set('Origin', sibling).set('Sec-Fetch-Site', 'same-site').expect(200);
    await h.http.get('/jobs').set('Cookie', cookie).set('Origin', 'null').expect(200);
  });

  it('takes our own origin from the Host header the client sent', async () => {
    await formPost('http://api.example:8443').set('Host', 'api.example:8443').send(FORM).expect(200);
    await formPost(own).set('Host', 'api.example:8443').send(FORM).expect(403);
  });

  it('ignores X-Forwarded-Proto and X-Forwarded-Host from a peer that is not a trusted proxy', async () => {
    const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'api.example' };
    await formPost('https://api.example').set(forwarded).send(FORM).expect(403);
    await formPost(own).set(forwarded).send(FORM).expect(200);
  });

  it('WebSocket upgrades with the cookie get the same check: another scheme of our host is not our origin', async () => {
    expect(await upgradeStatus(h, '/ws', { headers: { Cookie: cookie }, origin: own })).to.equal(101);
    expect(await upgradeStatus(h, '/ws', { headers: { Cookie: cookie }, origin: own.replace(/^http:/, 'https:') })).to.equal(403);
    expect(await upgradeStatus(h, '/ws', { headers: { Cookie: cookie }, origin: 'null' })).to.equal(403);
    expect(await upgradeStatus(h, '/ws', { headers: { Cookie: cookie, 'Sec-Fetch-Site': 'same-site' } })).to.equal(403);
  });
});

describe('session cookie behind a trusted proxy (CSRF)', () => {
  let h: Harness;
  let cookie: string;

  before(async () => {
    h = await startHarness({ api: { trusted_proxies: ['127.0.0.1'] } });
    cookie = `session_id=${await login(h)}`;
  });
  after(async () => {
    await h.close();
  });

  const formPost = (origin: string, headers: Record<string, string>) =>
    h.http.post('/').set('Cookie', cookie).set('Origin', origin).set(headers).type('form').send('client=local&tgt=*&fun=test.ping');

  it('takes our own origin from the X-Forwarded-Proto and X-Forwarded-Host the proxy wrote', async () => {
    const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'api.example' };
    await formPost('https://api.example', forwarded).expect(200);
    // The nearest proxy's value counts.
    await formPost('https://api.example', { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.example, api.example' }).expect(200);
    await formPost('http://api.example', forwarded).expect(403);
    await formPost('https://www.api.example', forwarded).expect(403);
    await formPost(new URL(h.url).origin, forwarded).expect(403);
    // No X-Forwarded-Host: the Host header, with the scheme the proxy saw.
    await formPost(new URL(h.url).origin.replace(/^http:/, 'https:'), { 'X-Forwarded-Proto': 'https' }).expect(200);
  });

  it('WebSocket upgrades too', async () => {
    const headers = { Cookie: cookie, 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'api.example' };
    expect(await upgradeStatus(h, '/ws', { headers, origin: 'https://api.example' })).to.equal(101);
    expect(await upgradeStatus(h, '/ws', { headers, origin: new URL(h.url).origin })).to.equal(403);
  });
});

describe('session cookie Path', () => {
  it('is root_prefix, on login and on logout; / without one', async () => {
    const h = await startHarness({ api: { root_prefix: '/salt/api/' } });
    try {
      const res = await h.http.post('/salt/api/login').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200);
      const [set] = res.headers['set-cookie'] as unknown as string[];
      expect(set).to.match(/^session_id=[0-9a-f]{64}; Path=\/salt\/api; Expires=/);
      const token = (res.body as { return: { token: string }[] }).return[0]!.token;
      const out = await h.http.post('/salt/api/logout').set('X-Auth-Token', token).expect(200);
      const [cleared] = out.headers['set-cookie'] as unknown as string[];
      expect(cleared).to.match(/^session_id=; Path=\/salt\/api; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0;/);
    } finally {
      await h.close();
    }
    const plain = await startHarness();
    try {
      const res = await plain.http.post('/login').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200);
      expect((res.headers['set-cookie'] as unknown as string[])[0]).to.match(/^session_id=[0-9a-f]{64}; Path=\/; /);
    } finally {
      await plain.close();
    }
  });
});
