/** GET /, /login, /logout end to end against the sandbox master. */
import { expect } from 'chai';
import request from 'supertest';
import { startHarness, login, type Harness } from './support/harness.js';
import { readCapture } from './support/capture.js';
import { settingsFromMaster } from '../src/config/settings.js';
import { createLogger } from '../src/log.js';
import { startServer } from '../src/server.js';

describe('GET / and the login cycle', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('answers GET / with the exact bytes salt-api sends', async () => {
    const capture = readCapture('cherrypy-00-root-get.txt');
    const res = await h.http.get('/').set('Accept', '*/*').expect(200);
    expect(res.headers['content-type']).to.equal('application/json');
    expect(res.text).to.equal(capture.body);
  });

  it('answers GET / in YAML when asked, byte for byte as salt-api', async () => {
    const capture = readCapture('cherrypy-00-root-get-yaml.txt');
    const res = await h.http.get('/').set('Accept', 'application/x-yaml').expect(200);
    expect(res.headers['content-type']).to.equal('application/x-yaml');
    expect(res.text.trimEnd()).to.equal(capture.body.trimEnd());
  });

  it('answers HEAD / like GET without a body', async () => {
    const res = await h.http.head('/').expect(200);
    expect(res.headers['content-type']).to.equal('application/json');
    expect(res.text ?? '').to.equal('');
  });

  it('GET /login asks for a session', async () => {
    const res = await h.http.get('/login').expect(200);
    expect(res.headers['www-authenticate']).to.equal('Session');
    expect(res.text).to.equal('{"status": null, "return": "Please log in"}');
  });

  it('POST /login returns the master token, header and cookie', async () => {
    const res = await h.http
      .post('/login')
      .set('Accept', 'application/json')
      .send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' })
      .expect(200);
    const body = res.body as { return: Record<string, unknown>[] };
    const entry = body.return[0]!;
    expect(Object.keys(entry)).to.deep.equal(['token', 'expire', 'start', 'user', 'eauth', 'perms']);
    expect(entry.token).to.match(/^[0-9a-f]{64}$/);
    expect(entry.user).to.equal('saltdev');
    expect(entry.eauth).to.equal('auto');
    expect(entry.perms).to.deep.equal(['.*', '@jobs', '@runner', '@wheel']);
    expect((entry.expire as number) - (entry.start as number)).to.be.closeTo(43200, 1);
    expect(res.headers['x-auth-token']).to.equal(entry.token);
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
    expect(cookie).to.match(new RegExp(`^session_id=${entry.token as string}; Path=/; `));
    expect(cookie).to.include('HttpOnly').and.include('SameSite=Lax');
    expect(cookie).not.to.include('Secure');
  });

  it('POST /login accepts a form body and a YAML body', async () => {
    await h.http
      .post('/login')
      .type('form')
      .send('username=saltdev&password=saltdev&eauth=auto')
      .expect(200)
      .expect((res) => expect(res.body.return[0].user).to.equal('saltdev'));
    const yaml = await h.http
      .post('/login')
      .set('Content-Type', 'application/x-yaml')
      .set('Accept', 'application/x-yaml')
      .send('username: saltdev\npassword: saltdev\neauth: auto\n')
      .expect(200);
    expect(yaml.headers['content-type']).to.equal('application/x-yaml');
    expect(yaml.text).to.match(/^return:\n- eauth: auto\n {2}expire: /);
  });

  for (const [why, body] of [
    ['a wrong password', { username: 'saltdev', password: 'nope', eauth: 'auto' }],
    ['an unknown eauth backend', { username: 'saltdev', password: 'saltdev', eauth: 'nosuch' }],
    ['no eauth', { username: 'saltdev', password: 'saltdev' }],
  ] as const) {
    it(`POST /login with ${why} is a 401 with a JSON body`, async () => {
      const res = await h.http.post('/login').set('Accept', 'application/json').send(body).expect(401);
      expect(res.headers['content-type']).to.equal('application/json');
      expect(res.body).to.deep.equal({ status: 401, return: 'Could not authenticate using provided credentials' });
    });
  }

  it('a token from one API process works on another with no shared state', async () => {
    const token = await login(h);
    const raw = { ...h.sandbox.config, rest_koa: { port: 0, host: '127.0.0.1', disable_ssl: true } };
    const other = await startServer(settingsFromMaster(raw, 'second process'), createLogger({ level: 'error' }));
    try {
      const res = await request(other.url)
        .post('/')
        .set('X-Auth-Token', token)
        .send([{ client: 'local', tgt: 'minion-1', fun: 'test.ping' }])
        .expect(200);
      expect(res.body).to.deep.equal({ return: [{ 'minion-1': true }] });
    } finally {
      await other.close();
    }
  });

  it('POST /logout clears the token in every API process, without the token ever on the bus', async () => {
    const token = await login(h);
    const raw = { ...h.sandbox.config, rest_koa: { port: 0, host: '127.0.0.1', disable_ssl: true } };
    const other = await startServer(settingsFromMaster(raw, 'second process'), createLogger({ level: 'error' }));
    try {
      await request(other.url).get('/minions').set('X-Auth-Token', token).expect(200);
      const res = await h.http.post('/logout').set('X-Auth-Token', token).expect(200);
      expect(res.text).to.equal('{"return": "Your token has been cleared"}');
      const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
      expect(cookie).to.match(/^session_id=; /).and.include('Expires=Thu, 01 Jan 1970');
      await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'local', tgt: '*', fun: 'test.ping' }]).expect(401);
      // The logout answer comes once the master has republished the notice, so the other process has it.
      await request(other.url).get('/minions').set('X-Auth-Token', token).expect(401);
      expect(h.sandbox.requests.some((load) => JSON.stringify(load).includes(token) && load.cmd !== 'get_token' && load.cmd !== 'publish')).to.equal(false);
    } finally {
      await other.close();
    }
  });

  it('POST /logout without a session is a 401', async () => {
    const res = await h.http.post('/logout').expect(401);
    expect(res.body).to.deep.equal({ status: 401, return: 'No permission -- see authorization schemes' });
  });

  it('accepts the session cookie instead of the header', async () => {
    const token = await login(h);
    const res = await h.http
      .post('/')
      .set('Cookie', `session_id=${token}`)
      .send([{ client: 'local', tgt: 'minion-2', fun: 'test.ping' }])
      .expect(200);
    expect(res.body).to.deep.equal({ return: [{ 'minion-2': true }] });
  });

  it('ignores an empty X-Auth-Token header in favour of the cookie', async () => {
    const token = await login(h);
    await h.http
      .post('/')
      .set('X-Auth-Token', '')
      .set('Cookie', `session_id=${token}`)
      .send([{ client: 'local', tgt: 'minion-2', fun: 'test.ping' }])
      .expect(200);
  });

  it('refuses tokens that are not hex without asking the master', async () => {
    const before = h.sandbox.requests.length;
    for (const bad of ['/etc/passwd', '../x', 'ZZZZ', 'a'.repeat(500)]) {
      await h.http.post('/').set('X-Auth-Token', bad).send([{ client: 'local', tgt: '*', fun: 'test.ping' }]).expect(401);
    }
    expect(h.sandbox.requests.slice(before).filter((l) => l.cmd === 'get_token')).to.have.length(0);
  });

  it('answers an unknown path with a 404 in the negotiated format', async () => {
    const res = await h.http.get('/nosuch').set('Accept', 'application/x-yaml').expect(404);
    expect(res.headers['content-type']).to.equal('application/x-yaml');
    expect(res.text).to.equal("return: The path '/nosuch' was not found.\nstatus: 404\n");
  });

  it('answers an unsupported method with a 405 and Allow', async () => {
    const res = await h.http.delete('/login').expect(405);
    expect(res.headers.allow).to.include('POST');
    expect(res.body).to.deep.equal({ status: 405, return: 'Specified method is invalid for this resource' });
  });
});

describe('POST /login perms', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      sandbox: {
        users: { alice: { password: 'a', groups: ['ops'] }, bob: { password: 'b', groups: ['dev'] }, carol: { password: 'c' } },
        externalAuth: { auto: { alice: ['test.*'], '*': ['grains.get', '@jobs'], 'ops%': ['cmd.run', { 'web*': ['test.ping'] }], 'dev%': ['pkg.*'] } },
      },
    });
  });
  after(async () => {
    await h.close();
  });

  const permsOf = async (username: string, password: string) => {
    const res = await h.http.post('/login').set('Accept', 'application/json').send({ username, password, eauth: 'auto' }).expect(200);
    return (res.body as { return: { perms: unknown }[] }).return[0]!.perms;
  };

  it('joins the user entry, `*` and the group% entries, sorted, for each user and group on every login', async () => {
    for (let round = 0; round < 2; round++) {
      expect(await permsOf('alice', 'a')).to.deep.equal(['@jobs', 'cmd.run', 'grains.get', 'test.*', { 'web*': ['test.ping'] }]);
      expect(await permsOf('bob', 'b')).to.deep.equal(['@jobs', 'grains.get', 'pkg.*']);
      expect(await permsOf('carol', 'c')).to.deep.equal(['@jobs', 'grains.get']);
    }
  });
});
