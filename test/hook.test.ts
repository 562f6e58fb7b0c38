/** POST <webhook_url>[/<path…>]: the event on the master bus, its headers, auth and failures (http-api.md §7.14). */
import http from 'node:http';
import path from 'node:path';
import { expect } from 'chai';
import { EventBus } from '../src/salt/eventBus.js';
import type { EventFrame } from '../src/salt/types.js';
import { hookSegments } from '../src/routes/hook.js';
import { titleCase } from '../src/routes/hookEvent.js';
import { startHarness, login, type Harness } from './support/harness.js';
import { STAMP_SOURCE } from './support/release.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A subscriber on the sandbox's bus that keeps every `salt/netapi/hook` event. */
async function watchHooks(h: Harness): Promise<{ events: EventFrame[]; next(): Promise<EventFrame>; published(tag: string): Promise<void>; close(): void }> {
  const sockDir = h.settings.master.sock_dir;
  const bus = new EventBus({
    publish: { path: path.join(sockDir, 'master_event_pub.ipc') },
    pull: { path: path.join(sockDir, 'master_event_pull.ipc') },
  });
  await bus.start();
  const events: EventFrame[] = [];
  const tags: string[] = [];
  bus.tap((event) => {
    tags.push(event.tag);
    if (event.tag.startsWith('salt/netapi/hook')) events.push(event);
  });
  let seen = 0;
  return {
    events,
    async next() {
      for (let i = 0; i < 100 && events.length <= seen; i++) await sleep(20);
      const event = events[seen];
      if (!event) throw new Error('no hook event arrived');
      seen++;
      return event;
    },
    /** Wait until an event with this tag was published (the API's own bus has it by then too). */
    async published(tag: string) {
      for (let i = 0; i < 100 && !tags.includes(tag); i++) await sleep(20);
      if (!tags.includes(tag)) throw new Error(`${tag} never arrived`);
    },
    close: () => bus.close(),
  };
}

/** A raw request, so the path reaches the server exactly as written. */
function rawPost(h: Harness, target: string, headers: Record<string, string> = {}): Promise<number> {
  const url = new URL(h.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: target, method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('POST /hook', () => {
  let h: Harness;
  let token: string;
  let hooks: Awaited<ReturnType<typeof watchHooks>>;
  before(async () => {
    h = await startHarness({ api: { max_request_body_size: 4096 } });
    token = await login(h);
    hooks = await watchHooks(h);
  });
  after(async () => {
    hooks.close();
    await h.close();
  });

  const hook = (target: string) => h.http.post(target).set('X-Auth-Token', token).set('Accept', 'application/json');

  it('fires salt/netapi/hook/<path> with body, post and headers, and answers success', async () => {
    // Our events carry `_stamp` in the form the master's own events have (3008: with a zone).
    h.sandbox.fireEvent('test/master-event', {});
    await hooks.published('test/master-event');
    const body = '{"foo": "bar", "n": 1}';
    const res = await hook('/hook/mycompany/build/success')
      .set('Content-Type', 'application/json')
      .set('X-Custom-Header', 'yes')
      .send(body)
      .expect(200);
    expect(res.body).to.deep.equal({ success: true });
    const event = await hooks.next();
    expect(event.tag).to.equal('salt/netapi/hook/mycompany/build/success');
    expect(Object.keys(event.data)).to.deep.equal(['body', 'post', 'headers', '_stamp']);
    expect(event.data.body).to.equal(body);
    expect(event.data.post).to.deep.equal({ foo: 'bar', n: 1 });
    expect(event.data._stamp).to.match(new RegExp(`^${STAMP_SOURCE}$`));
    const headers = event.data.headers as Record<string, string>;
    expect(headers).to.include({
      'Content-Type': 'application/json',
      'Content-Length': String(body.length),
      'X-Custom-Header': 'yes',
      Accept: 'application/json',
      'Remote-Addr': '127.0.0.1',
    });
    expect(headers.Host).to.equal(new URL(h.url).host);
  });

  it('keeps credentials off the bus and never trusts a client-sent Remote-Addr', async () => {
    await hook('/hook/secrets')
      .set('Cookie', `session_id=${token}`)
      .set('Authorization', 'Basic c2FsdDpzYWx0')
      .set('Proxy-Authorization', 'Basic c2FsdDpzYWx0')
      .set('Remote-Addr', '10.0.0.1')
      .expect(200, { success: true });
    const event = await hooks.next();
    const headers = event.data.headers as Record<string, string>;
    const names = Object.keys(headers).map((name) => name.toLowerCase());
    expect(names).to.not.include.members(['x-auth-token', 'cookie', 'authorization', 'proxy-authorization']);
    expect(headers['Remote-Addr']).to.equal('127.0.0.1');
    expect(names.filter((name) => name === 'remote-addr')).to.have.length(1);
    expect(JSON.stringify(event.data)).to.not.include(token);
  });

  it('parses a form body as salt-api does (repeated keys become lists, arg is typed)', async () => {
    await hook('/hook/foo/bar').type('form').send('foo=bar&baz=qux&baz=quux&arg=1&empty=').expect(200, { success: true });
    const event = await hooks.next();
    expect(event.tag).to.equal('salt/netapi/hook/foo/bar');
    expect(event.data.body).to.equal('foo=bar&baz=qux&baz=quux&arg=1&empty=');
    expect(event.data.post).to.deep.equal({ foo: 'bar', baz: ['qux', 'quux'], arg: [1] });
    expect((event.data.headers as Record<string, string>)['Content-Type']).to.equal('application/x-www-form-urlencoded');
  });

  it('wraps a scalar arg of a mapping body in a list, as lowdata_fmt does', async () => {
    await hook('/hook/arg').send({ arg: 'x', kwarg: { a: 1 } }).expect(200);
    expect((await hooks.next()).data.post).to.deep.equal({ arg: ['x'], kwarg: { a: 1 } });
  });

  it('passes a list body and a plain-text body through', async () => {
    await hook('/hook/list').send([1, 'two']).expect(200);
    expect((await hooks.next()).data.post).to.deep.equal([1, 'two']);
    await hook('/hook/text').set('Content-Type', 'text/plain').send('just words').expect(200);
    const event = await hooks.next();
    expect(event.data).to.include({ body: 'just words', post: 'just words' });
  });

  it('without a body fires body "" and post {} on the bare mount point', async () => {
    await hook('/hook').expect(200, { success: true });
    const event = await hooks.next();
    expect(event.tag).to.equal('salt/netapi/hook');
    expect(event.data).to.deep.include({ body: '', post: {} });
  });

  it('gives post {} for a body that parses to nothing', async () => {
    await hook('/hook/empty').set('Content-Type', 'application/json').send('[]').expect(200);
    expect((await hooks.next()).data).to.deep.include({ body: '[]', post: {} });
  });

  it('tolerates a trailing slash', async () => {
    await hook('/hook/a/b/').expect(200);
    expect((await hooks.next()).tag).to.equal('salt/netapi/hook/a/b');
  });

  it('answers in YAML when asked', async () => {
    const res = await hook('/hook/yaml').set('Accept', 'application/x-yaml').expect(200);
    expect(res.text).to.equal('success: true\n');
    await hooks.next();
  });

  it('401 without a session, and nothing is fired', async () => {
    const res = await h.http.post('/hook/foo').set('Accept', 'application/json').send({ foo: 'bar' }).expect(401);
    expect(res.body).to.deep.equal({ status: 401, return: 'No permission -- see authorization schemes' });
    await h.http.post('/hook/foo').set('X-Auth-Token', 'ab'.repeat(32)).send({ foo: 'bar' }).expect(401);
    await hook('/hook/after-401').expect(200);
    expect((await hooks.next()).tag).to.equal('salt/netapi/hook/after-401');
  });

  it('406 for a content type it cannot parse', async () => {
    await hook('/hook/x').set('Content-Type', 'application/xml').send('<a/>').expect(406);
  });

  it('413 above max_request_body_size, by Content-Length and when chunked', async () => {
    const big = JSON.stringify({ data: 'x'.repeat(5000) });
    const res = await hook('/hook/big').set('Content-Type', 'application/json').send(big).expect(413);
    expect(res.body.status).to.equal(413);
    const url = new URL(h.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, path: '/hook/big', method: 'POST', headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } },
        (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(big);
    });
    expect(status).to.equal(413);
    await hook('/hook/after-413').expect(200);
    expect((await hooks.next()).tag).to.equal('salt/netapi/hook/after-413');
  });

  it('404 for empty, dot-dot or control-character path segments, and nothing is fired', async () => {
    const headers = { 'X-Auth-Token': token };
    for (const target of ['/hook/a//b', '/hook/..', '/hook/../x', '/hook/a/%2e%2e', '/hook/a/./b', '/hook/a%00b', '/hook/a%0Ab', '/hook//']) {
      expect(await rawPost(h, target, headers), target).to.equal(404);
    }
    await hook('/hook/after-404').expect(200);
    expect((await hooks.next()).tag).to.equal('salt/netapi/hook/after-404');
  });

  it('405 for GET', async () => {
    await h.http.get('/hook/foo').set('X-Auth-Token', token).expect(405);
  });

  it('answers success false within about a second when the bus is down', async function () {
    this.timeout(10000);
    await h.sandbox.stopMaster();
    try {
      const started = Date.now();
      const res = await hook('/hook/down').send({ a: 1 }).expect(200);
      expect(res.body).to.deep.equal({ success: false });
      expect(Date.now() - started).to.be.below(1500);
    } finally {
      await h.sandbox.startMaster();
    }
  });
});

describe('POST /hook with webhook_disable_auth and another webhook_url', () => {
  let h: Harness;
  let hooks: Awaited<ReturnType<typeof watchHooks>>;
  before(async () => {
    h = await startHarness({ api: { webhook_disable_auth: true, webhook_url: '/incoming' } });
    hooks = await watchHooks(h);
  });
  after(async () => {
    hooks.close();
    await h.close();
  });

  it('fires without a session, under the fixed salt/netapi/hook prefix', async () => {
    await h.http.post('/incoming/ci/done').send({ ok: true }).expect(200, { success: true });
    const event = await hooks.next();
    expect(event.tag).to.equal('salt/netapi/hook/ci/done');
    expect(event.data.post).to.deep.equal({ ok: true });
  });

  it('the default /hook is not mounted', async () => {
    await h.http.post('/hook/ci').send({ ok: true }).expect(404);
  });
});

describe('webhook helpers', () => {
  it('title-cases header names as Python str.title() does', () => {
    expect(titleCase('x-auth-token')).to.equal('X-Auth-Token');
    expect(titleCase('CONTENT-MD5')).to.equal('Content-Md5');
    expect(titleCase('x_a1b')).to.equal('X_A1B');
  });

  it('splits the decoded path into sane segments', () => {
    expect(hookSegments(undefined)).to.deep.equal([]);
    expect(hookSegments('a/b/')).to.deep.equal(['a', 'b']);
    expect(hookSegments('a b/ü')).to.deep.equal(['a b', 'ü']);
    for (const bad of ['a//b', '..', 'a/..', '.', 'a\u0000', 'a\u007f', '/']) expect(hookSegments(bad), bad).to.equal(undefined);
  });
});
