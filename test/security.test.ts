/**
 * One test per row of security.md (the project spec's list of salt-api CVEs), then its list of other hostile
 * input: each sends the attack, asserts the refusal and that nothing ran on the sandbox master
 * (its `requests` and `executed` records). Rows with a fuller suite elsewhere are re-asserted
 * briefly and name it: ssh (test/ssh.test.ts), CORS (test/cors.test.ts), hook headers
 * (test/hook.test.ts), event streams (test/events.test.ts, test/ws.test.ts), slow clients
 * (test/slow-clients.test.ts), limits (test/hostile-input.test.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { SaltMap } from '../src/salt/types.js';
import { startHarness, login, type Harness } from './support/harness.js';
import { fakeSshMaster } from './support/fakeSsh.js';
import { rawRequest } from './support/raw.js';
import { openSse } from './support/sseClient.js';
import { exchange, slowloris, statusOf } from './support/sockets.js';

const SECRET = 'hunter2-not-in-any-load';
/** A 600-byte "billion laughs": 9^9 strings once expanded. */
const ALIAS_BOMB = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
  .concat(['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map((name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`))
  .join('\n');
const DEEP_JSON = '['.repeat(100_000) + ']'.repeat(100_000);
const BAD_TOKENS = ['/etc/passwd', '../x', 'not-hex-at-all', 'AB'.repeat(32), 'ab'.repeat(8), 'ab'.repeat(100), `${'ab'.repeat(31)}zz`];

/** What the sandbox master saw since a mark: request loads and executions on minions. */
interface Mark {
  requests: number;
  executed: number;
}

describe('security.md', () => {
  let h: Harness;
  let token: string;
  const mark = (): Mark => ({ requests: h.sandbox.requests.length, executed: h.sandbox.executed.length });
  const loadsSince = (m: Mark) => h.sandbox.requests.slice(m.requests);
  const commandsSince = (m: Mark) => loadsSince(m).map((load) => load.cmd);
  /** What the master was asked to do since a mark, token checks (the session's `get_token`) aside. */
  const workSince = (m: Mark) => loadsSince(m).filter((load) => load.cmd !== 'get_token');
  const executedSince = (m: Mark) => h.sandbox.executed.slice(m.executed);
  const post = (body: unknown) => h.http.post('/').set('X-Auth-Token', token).set('Accept', 'application/json').send(body as object);

  before(async () => {
    const all = ['.*', '@runner', '@wheel', '@jobs'];
    h = await startHarness({
      sandbox: {
        users: {
          saltdev: { password: 'saltdev' },
          pinger: { password: 'pinger' },
          secretive: { password: SECRET },
          locked: { password: 'locked', eauth: ['auto'] },
        },
        externalAuth: {
          auto: { saltdev: all, pinger: ['test.ping'], secretive: all, locked: all },
          pam: { saltdev: all, locked: all },
        },
      },
    });
    token = await login(h);
  });
  after(async () => {
    await h.close();
  });

  describe('the ssh rows (fully in test/ssh.test.ts)', () => {
    let tmp: string;
    let recordFile: string;
    let ssh: Harness;
    let sshToken: string;
    const started = () => readFileSync(recordFile, 'utf8').split('\n').filter((line) => line !== '');
    const run = (chunk: Record<string, unknown>, credentials: Record<string, unknown> = { token: sshToken }) =>
      ssh.http.post('/run').send([{ client: 'ssh', tgt: '*', fun: 'test.ping', ...credentials, ...chunk }]);

    before(async () => {
      tmp = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-security-'));
      recordFile = path.join(tmp, 'started.jsonl');
      process.env.SALT_SSH_FAKE_RECORD = recordFile;
      ssh = await startHarness({ master: fakeSshMaster(tmp) });
      sshToken = await login(ssh);
    });
    beforeEach(() => writeFileSync(recordFile, ''));
    after(async () => {
      await ssh.close();
      delete process.env.SALT_SSH_FAKE_RECORD;
      rmSync(tmp, { recursive: true, force: true });
    });

    it('CVE-2020-25592: ssh with any token or bad eauth and a roster is 401, salt-ssh never starts', async () => {
      for (const credentials of [{ token: 'ab'.repeat(32) }, { token: 'anything' }, { eauth: 'auto', username: 'saltdev', password: 'wrong' }, {}]) {
        await run({ roster: 'flat' }, credentials).expect(401);
      }
      expect(started()).to.deep.equal([]);
      await run({}).expect(200);
      expect(started()).to.have.length(1);
    });

    it('CVE-2020-16846: shell metacharacters in ssh fields are 400 naming the field, salt-ssh never starts', async () => {
      for (const [field, value] of [['ssh_priv', 'aaa|touch /tmp/x;'], ['ssh_user', 'root$(id)'], ['ssh_user', 'root`id`']] as const) {
        const res = await run({ [field]: value }).expect(400);
        expect(res.body.return).to.include(`'${field}'`);
      }
      expect(started()).to.deep.equal([]);
    });

    it('CVE-2021-3197: argument and ProxyCommand injection into ssh is 400, salt-ssh never starts', async () => {
      for (const fields of [
        { ssh_port: '2222\t-o ProxyCommand=touch /tmp/x' },
        { ssh_options: ['ProxyCommand=touch /tmp/x'] },
        { ssh_options: ['StrictHostKeyChecking=no -oProxyCommand=x'] },
        { ssh_user: '-oProxyCommand=x' },
        { arg: ['--hosts'] },
      ]) {
        await run(fields).expect(400);
      }
      expect(started()).to.deep.equal([]);
    });

    it('CVE-2021-3148: quotes in gen_thin fields are 400, salt-ssh never starts', async () => {
      for (const fields of [{ thin_extra_mods: "salt';touch /tmp/x;'" }, { min_extra_mods: 'a"b' }, { extra_filerefs: 'salt://../../etc/shadow' }]) {
        await run(fields).expect(400);
      }
      expect(started()).to.deep.equal([]);
    });
  });

  it('CVE-2021-25281: wheel_async with a bogus token is 401 and never a jid; the master runs nothing', async () => {
    const m = mark();
    for (const bogus of ['cd'.repeat(32), 'bogus']) {
      const res = await h.http.post('/run').send([{ client: 'wheel_async', fun: 'key.accept', match: '*', token: bogus }]).expect(401);
      expect(JSON.stringify(res.body)).to.not.include('jid');
    }
    expect(commandsSince(m)).to.not.include('wheel');
  });

  it('CVE-2021-25282: a traversing wheel file_roots/pillar_roots.write path reaches the master unchanged and is refused there', async () => {
    for (const fun of ['file_roots.write', 'pillar_roots.write']) {
      const m = mark();
      const res = await post([{ client: 'wheel', fun, path: '../../../etc/cron.d/x', data: '* * * * * root id' }]).expect(200);
      expect(res.body.return[0].data.return).to.equal('Invalid path');
      expect(loadsSince(m).find((load) => load.cmd === 'wheel')).to.include({ fun, path: '../../../etc/cron.d/x' });
    }
    const fine = await post([{ client: 'wheel', fun: 'file_roots.write', path: 'top.sls', data: 'base: {}' }]).expect(200);
    expect(fine.body.return[0].data.return).to.equal('Wrote data to file /srv/salt/top.sls');
  });

  it('CVE-2021-25283: Jinja in request data is passed on as text, never rendered', async () => {
    const template = "{{ 7*7 }}{% for x in [1] %}{{ x }}{% endfor %}{{ salt['cmd.run']('id') }}";
    const m = mark();
    const res = await post([{ client: 'local', tgt: 'minion-1', fun: 'test.echo', arg: [template] }]).expect(200);
    expect(res.body.return).to.deep.equal([{ 'minion-1': template }]);
    const yaml = await h.http
      .post('/')
      .set('X-Auth-Token', token)
      .set('Content-Type', 'application/x-yaml')
      .set('Accept', 'application/json')
      .send(`- client: runner\n  fun: test.arg\n  kwarg: {t: "${template}"}\n`)
      .expect(200);
    expect(yaml.body.return[0].kwargs.t).to.equal(template);
    expect(loadsSince(m).find((load) => load.cmd === 'publish')?.arg).to.deep.equal([template]);
    expect(executedSince(m).map((e) => e.fun)).to.deep.equal(['test.echo']);
  });

  it('CVE-2022-22967: a login its eauth backend refuses is 401; the credentials reach the master unchanged', async () => {
    const m = mark();
    await h.http.post('/login').send({ username: 'locked', password: 'locked', eauth: 'pam' }).expect(401);
    expect(loadsSince(m)).to.deep.equal([{ username: 'locked', password: 'locked', eauth: 'pam', cmd: 'mk_token' }]);
  });

  it('token format: paths and non-hex tokens are 401 everywhere, without a master lookup', async () => {
    const m = mark();
    for (const bad of BAD_TOKENS) {
      await h.http.post('/').set('X-Auth-Token', bad).send([{ client: 'local', tgt: '*', fun: 'test.ping' }]).expect(401);
      await h.http.get('/minions').set('Cookie', `session_id=${encodeURIComponent(bad)}`).expect(401);
      const run = await h.http.post('/run').send([{ client: 'local', tgt: '*', fun: 'test.ping', token: bad }]).expect(401);
      expect(run.body.return).to.equal('Invalid token');
      await h.http.get(`/events?token=${encodeURIComponent(bad)}`).expect(401);
    }
    expect(loadsSince(m)).to.deep.equal([]);
  });

  it('compound ACL: a function list is refused unless every function is allowed, before publishing', async () => {
    const pinger = (await h.http.post('/login').send({ username: 'pinger', password: 'pinger', eauth: 'auto' }).expect(200)).body.return[0].token as string;
    const m = mark();
    const res = await h.http
      .post('/')
      .set('X-Auth-Token', pinger)
      .send([{ client: 'local', tgt: '*', fun: ['test.ping', 'cmd.run'], arg: [[], ['id']] }])
      .expect(401);
    expect(res.body.return).to.equal('Authorization error occurred.');
    expect(commandsSince(m)).to.not.include('publish');
    expect(executedSince(m)).to.deep.equal([]);
  });

  it('secrets in the job cache: /run with eauth puts the password into no load but mk_token', async () => {
    const m = mark();
    const credentials = { username: 'secretive', password: SECRET, eauth: 'auto' };
    await h.http
      .post('/run')
      .send([
        { client: 'local', tgt: 'minion-1', fun: 'test.ping', ...credentials },
        { client: 'local_async', tgt: 'minion-1', fun: 'test.ping', ...credentials },
        { client: 'runner', fun: 'test.arg', arg: [1], ...credentials },
        { client: 'wheel', fun: 'key.list_all', ...credentials },
      ])
      .expect(200);
    const carrying = loadsSince(m).filter((load) => JSON.stringify(load).includes(SECRET));
    expect(carrying.map((load) => load.cmd)).to.deep.equal(['mk_token']);
    expect(commandsSince(m)).to.include.members(['publish', 'runner', 'wheel']);
  });

  it('token on the event bus: hook events carry no X-Auth-Token, Cookie or Authorization', async () => {
    const listener = await openSse(h.url, `/events?token=${token}&tag=salt/netapi/hook/*`);
    try {
      await h.http
        .post('/hook/leak')
        .set('X-Auth-Token', token)
        .set('Cookie', `session_id=${token}`)
        .set('Authorization', 'Basic c2FsdDpzYWx0')
        .send({ a: 1 })
        .expect(200, { success: true });
      const text = await listener.waitFor((received) => received.includes('tag: salt/netapi/hook/leak'));
      const data = JSON.parse(listener.events().find((block) => block.tag === 'salt/netapi/hook/leak')!.data!) as { data: { headers: SaltMap } };
      expect(Object.keys(data.data.headers).map((name) => name.toLowerCase())).to.not.include.members(['x-auth-token', 'cookie', 'authorization']);
      expect(text.split(token)).to.have.length(1);
    } finally {
      listener.close();
    }
  });

  it('event stream after logout: the stream ends with a comment saying why', async () => {
    const own = await login(h);
    const client = await openSse(h.url, `/events?token=${own}`);
    await h.http.post('/logout').set('X-Auth-Token', own).expect(200);
    expect(await client.ended).to.match(/: closing: token no longer valid \(logged out\)\n\n$/);
    await h.http.get(`/events?token=${own}`).expect(401);
  });

  it('CORS: with no cors_origin, no origin gets CORS headers (lists and * in test/cors.test.ts)', async () => {
    const res = await h.http.get('/minions').set('Origin', 'https://evil.example').set('X-Auth-Token', token).expect(200);
    expect(res.headers['access-control-allow-origin']).to.equal(undefined);
    expect(res.headers['access-control-allow-credentials']).to.equal(undefined);
  });

  describe('rows that need a master or API of their own', () => {
    it('CVE-2021-3144: an expired token is refused on every use; the token cache never outlives expire', async function () {
      this.timeout(10_000);
      const short = await startHarness({ sandbox: { tokenExpire: 1.5 }, api: { token_cache_ttl: 60 } });
      try {
        const own = await login(short);
        await short.http.get('/minions').set('X-Auth-Token', own).expect(200);
        const stream = await openSse(short.url, `/events?token=${own}`);
        await sleep(1700);
        const executed = short.sandbox.executed.length;
        await short.http.post('/').set('X-Auth-Token', own).send([{ client: 'local', tgt: '*', fun: 'test.ping' }]).expect(401);
        await short.http.get('/minions').set('X-Auth-Token', own).expect(401);
        await short.http.get('/jobs').set('Cookie', `session_id=${own}`).expect(401);
        await short.http.post('/run').send([{ client: 'runner', fun: 'test.arg', token: own }]).expect(401);
        await short.http.post('/run').send([{ client: 'wheel_async', fun: 'key.list_all', token: own }]).expect(401);
        await short.http.get(`/events?token=${own}`).expect(401);
        expect((await rawRequest(short.url, `/ws/${own}`, { headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } })).status).to.equal(401);
        expect(await stream.ended).to.match(/: closing: token expired\n\n$/);
        expect(short.sandbox.executed.length).to.equal(executed);
      } finally {
        await short.close();
      }
    });

    it('Remote-Addr spoofing: authorized_ips judges the socket peer, not a client-sent header', async () => {
      const guarded = await startHarness({ api: { authorized_ips: ['10.0.0.1'] } });
      try {
        const before = guarded.sandbox.requests.length;
        for (const header of ['Remote-Addr', 'X-Forwarded-For', 'X-Real-IP']) {
          const res = await guarded.http.post('/login').set(header, '10.0.0.1').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(403);
          expect(res.body).to.deep.equal({ status: 403, return: 'Bad IP' });
        }
        expect(guarded.sandbox.requests.length).to.equal(before);
      } finally {
        await guarded.close();
      }
    });

    it('CORS: only listed origins are reflected with credentials', async () => {
      const listed = 'https://console.example';
      const cors = await startHarness({ api: { cors_origin: [listed] } });
      try {
        const evil = await cors.http.get('/').set('Origin', 'https://evil.example').expect(200);
        expect(evil.headers['access-control-allow-origin']).to.equal(undefined);
        const ok = await cors.http.get('/').set('Origin', listed).expect(200);
        expect(ok.headers).to.include({ 'access-control-allow-origin': listed, 'access-control-allow-credentials': 'true' });
      } finally {
        await cors.close();
      }
    });
  });

  describe('other hostile input', () => {
    it('a YAML alias bomb is 400 within a second, on /login without a session too; no work reaches the master', async () => {
      const m = mark();
      for (const target of ['/login', '/run', '/']) {
        const started = Date.now();
        const res = await h.http.post(target).set('X-Auth-Token', token).set('Content-Type', 'application/x-yaml').send(ALIAS_BOMB).expect(400);
        expect(Date.now() - started).to.be.below(1000);
        expect(res.body.return).to.match(/YAML aliases expand the document beyond/);
      }
      expect(workSince(m)).to.deep.equal([]);
    });

    it('100k-deep JSON and YAML are 400 within a second; no work reaches the master', async () => {
      const m = mark();
      for (const [type, body] of [['application/json', DEEP_JSON], ['application/x-yaml', '['.repeat(100_000)]]) {
        for (const target of ['/login', '/']) {
          const started = Date.now();
          const res = await h.http.post(target).set('X-Auth-Token', token).set('Content-Type', type!).send(body!).expect(400);
          expect(Date.now() - started).to.be.below(1000);
          expect(res.body.return).to.match(/nests deeper than 100 levels/);
        }
      }
      expect(workSince(m)).to.deep.equal([]);
    });

    it('a body over max_request_body_size is 413 before it is read', async () => {
      const m = mark();
      const res = await h.http.post('/').set('X-Auth-Token', token).set('Content-Type', 'application/json').send(`[${'1,'.repeat(600_000)}1]`).expect(413);
      expect(res.body.status).to.equal(413);
      expect(workSince(m)).to.deep.equal([]);
    });

    it('slowloris connections do not keep others from being served (fully in test/slow-clients.test.ts)', async () => {
      const attack = await slowloris(h.url, 50, 200);
      try {
        await h.http.get('/').expect(200);
      } finally {
        attack.stop();
      }
    });

    it('a 10 MB header is a 431 or a closed connection, never a hang', async () => {
      const result = await exchange(
        h.url,
        (socket) => {
          socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nX-Huge: ');
          socket.write('a'.repeat(10 * 1024 * 1024));
          socket.write('\r\n\r\n');
        },
        10_000,
      );
      expect(result.closed).to.equal(true);
      if (result.received !== '') expect(statusOf(result.received)).to.equal(431);
    });

    it('a body that is not UTF-8 is 400 in every format (form percent-escapes included); no work reaches the master', async () => {
      const m = mark();
      const bodies: [string, Buffer][] = [
        ['application/json', Buffer.from('[{"client": "local", "tgt": "\xff", "fun": "test.ping"}]', 'latin1')],
        ['application/x-yaml', Buffer.from('- client: local\n  tgt: "\xfe"\n', 'latin1')],
        ['text/plain', Buffer.from([0x5b, 0xc3, 0x28, 0x5d])],
        ['application/x-www-form-urlencoded', Buffer.from('client=local&fun=test.ping&tgt=\xff', 'latin1')],
        ['application/x-www-form-urlencoded', Buffer.from('client=local&fun=test.ping&tgt=%C3%28')],
      ];
      for (const [type, body] of bodies) {
        for (const target of ['/', '/login']) {
          const res = await fetch(new URL(target, h.url), { method: 'POST', headers: { 'Content-Type': type, 'X-Auth-Token': token }, body: new Uint8Array(body) });
          expect(res.status, `${target} ${type}`).to.equal(400);
          expect(await res.json()).to.deep.equal({ status: 400, return: 'Request body is not valid UTF-8' });
        }
      }
      expect(workSince(m)).to.deep.equal([]);
    });

    it('invalid UTF-8 in an event payload is replaced, and the stream goes on (fully in test/events.test.ts)', async () => {
      const client = await openSse(h.url, `/events?token=${token}&tag=bytes/*`);
      try {
        h.sandbox.fireEvent('bytes/bad', { blob: Buffer.from([0x61, 0xff, 0x62]) });
        h.sandbox.fireEvent('bytes/after', { ok: true });
        await client.waitFor((text) => text.includes('tag: bytes/after'));
        expect(client.events().map((block) => block.tag)).to.deep.equal(['bytes/bad', 'bytes/after']);
        expect(client.text()).to.include('"blob": "a\ufffdb"');
      } finally {
        client.close();
      }
    });

    it('lowstate chunks that are not mappings are 400; nothing is published', async () => {
      const m = mark();
      for (const chunk of ['a', 1, null, [], true]) {
        const res = await post([chunk]).expect(400);
        expect(res.body.return).to.equal("Invalid value for 'lowstate': expected a list of mappings");
      }
      expect(workSince(m)).to.deep.equal([]);
    });

    it('`arg` of every JSON type: scalars are wrapped, null is none, a mapping is 400', async () => {
      const cases: [unknown, unknown[]][] = [[null, []], [true, [true]], [0, [0]], [1.5, [1.5]], ['x', ['x']], [[1, 'a', null], [1, 'a', null]]];
      for (const [arg, args] of cases) {
        const res = await post([{ client: 'local', tgt: 'minion-1', fun: 'test.arg', arg }]).expect(200);
        expect(res.body.return[0]['minion-1'].args, JSON.stringify(arg)).to.deep.equal(args);
      }
      const m = mark();
      await post([{ client: 'local', tgt: 'minion-1', fun: 'test.arg', arg: { a: 1 } }]).expect(400);
      expect(workSince(m)).to.deep.equal([]);
    });

    it('jids that are not 20 digits are looked up as data: never a 500, nothing runs on a minion', async () => {
      const m = mark();
      for (const jid of ['1', 'abc', '..%2F..%2Fetc%2Fpasswd', '2026*', '.%2A', '%5B0-9%5D', '%00', '%20']) {
        const res = await rawRequest(h.url, `/jobs/${jid}`, { headers: { 'X-Auth-Token': token, Accept: 'application/json' } });
        expect([200, 400, 404], jid).to.include(res.status);
        expect(JSON.parse(res.body), jid).to.be.an('object');
      }
      expect(executedSince(m)).to.deep.equal([]);
    });

    it('minion ids with /, .., glob and regex characters: 400, 404 or 200, never a 500; only grains.items runs', async () => {
      const m = mark();
      const ids = ['a%2Fb', '..', '%2e%2e', '..%2F..%2Fetc', '*', 'minion-%5B12%5D', 'minion-.%2A', '%5E.%2A%24', 'a%3Fb', '%00', '%0Aid', 'a%5Cb'];
      for (const id of ids) {
        for (const base of ['/minions/', '/keys/', '/jobs/']) {
          const res = await rawRequest(h.url, `${base}${id}`, { headers: { 'X-Auth-Token': token, Accept: 'application/json' } });
          expect([200, 400, 404], `${base}${id}: ${res.body}`).to.include(res.status);
          expect(JSON.parse(res.body), `${base}${id}`).to.be.an('object');
        }
      }
      expect(executedSince(m).filter((e) => e.fun !== 'grains.items')).to.deep.equal([]);
    });
  });
});
