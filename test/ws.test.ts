/** GET /ws and /ws/<token> (WebSocket) end to end: checks before the upgrade, protocol, digest, endings. */
import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { login, startHarness, type Harness } from './support/harness.js';
import { STAMP_SOURCE } from './support/release.js';

const NOT_AUTHENTICATED = '{"status": 401, "return": "No permission -- see authorization schemes"}';
const STAMP = STAMP_SOURCE;

interface WsClient {
  socket: WebSocket;
  upgrade: IncomingMessage;
  messages: string[];
  /** The next message not yet taken (in order), waiting up to `timeoutMs`. */
  next(timeoutMs?: number): Promise<string>;
  /** The next message that satisfies `match`, skipping the others. */
  until(match: (message: string) => boolean, timeoutMs?: number): Promise<string>;
  closed: Promise<{ code: number; reason: string }>;
}

function wsUrl(h: Harness, path: string): string {
  return `${h.url.replace(/^http/, 'ws')}${path}`;
}

function connect(h: Harness, path: string, options: WebSocket.ClientOptions = {}): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl(h, path), options);
    const messages: string[] = [];
    let taken = 0;
    const waiters = new Set<() => void>();
    socket.on('message', (data: WebSocket.RawData) => {
      messages.push(String(data));
      for (const wake of [...waiters]) wake();
    });
    const closed = new Promise<{ code: number; reason: string }>((done) => {
      socket.on('close', (code, reason) => done({ code, reason: reason.toString() }));
    });
    const until = (match: (message: string) => boolean, timeoutMs = 5000): Promise<string> =>
      new Promise((ok, fail) => {
        const check = (): void => {
          while (taken < messages.length) {
            const message = messages[taken++]!;
            if (!match(message)) continue;
            clearTimeout(timer);
            waiters.delete(check);
            ok(message);
            return;
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          fail(new Error(`no matching message in ${timeoutMs} ms; ${messages.length} received, the last ones: ${messages.slice(-3).map((m) => `${m.slice(0, 40)} … ${m.slice(-40)}`).join(' | ')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    socket.once('upgrade', (upgrade) => {
      socket.once('open', () => resolve({ socket, upgrade, messages, next: (ms) => until(() => true, ms), until, closed }));
    });
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

/** The HTTP answer to an upgrade request that is refused before the 101. */
function refused(h: Harness, path: string, options: WebSocket.ClientOptions = {}): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl(h, path), options);
    socket.once('open', () => {
      socket.close();
      reject(new Error(`${path} was upgraded`));
    });
    socket.once('error', () => undefined);
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
  });
}

/** The event streams the server has open, from GET /stats. */
async function openStreams(h: Harness, token: string): Promise<number> {
  const res = await h.http.get('/stats').set('X-Auth-Token', token).expect(200);
  return (res.body as { event_streams: number }).event_streams;
}

async function ready(client: WsClient): Promise<void> {
  client.socket.send('websocket client ready');
  expect(await client.next()).to.equal('server received message');
}

describe('GET /ws', () => {
  let h: Harness;
  let token: string;
  const open: WsClient[] = [];
  const track = (client: WsClient): WsClient => {
    open.push(client);
    return client;
  };

  before(async () => {
    h = await startHarness();
    token = await login(h);
  });
  afterEach(() => {
    for (const client of open.splice(0)) client.socket.terminate();
  });
  after(async () => {
    await h.close();
  });

  it('upgrades, answers every message, and streams nothing before "websocket client ready"', async () => {
    const client = track(await connect(h, `/ws/${token}`));
    expect(client.upgrade.statusCode).to.equal(101);
    expect(client.upgrade.headers.upgrade).to.equal('websocket');
    client.socket.send('hello');
    expect(await client.next()).to.equal('server received message');
    // A client that is ready sees the event; by then it would have been queued to ours too.
    const observer = track(await connect(h, `/ws/${token}`));
    await ready(observer);
    h.sandbox.fireEvent('ws/early', { early: true });
    await observer.until((m) => m.includes('"tag": "ws/early"'));
    client.socket.send('again');
    expect(await client.next()).to.equal('server received message');
    expect(client.messages).to.deep.equal(['server received message', 'server received message']);
    await ready(client);
    h.sandbox.fireEvent('ws/test', { a: 1, text: 'é' });
    const message = await client.next();
    expect(message).to.match(new RegExp(`^data: \\{"data": \\{"a": 1, "text": "é", "_stamp": "${STAMP}"\\}, "tag": "ws/test"\\}\\n\\n$`));
    client.socket.send('anything else');
    expect(await client.until((m) => m === 'server received message')).to.equal('server received message');
  });

  it('takes the token from the path, ?token=, X-Auth-Token or the session cookie', async () => {
    for (const [path, headers] of [
      [`/ws/${token}`, {}],
      [`/ws/${token}/`, {}],
      [`/ws?token=${token}`, {}],
      [`/ws?salt_token=${token}`, {}],
      ['/ws', { 'X-Auth-Token': token }],
      ['/ws/', { Cookie: `session_id=${token}` }],
    ] as const) {
      const client = track(await connect(h, path, { headers }));
      client.socket.send('ping?');
      expect(await client.next(), path).to.equal('server received message');
    }
  });

  it('refuses bad or missing tokens with 401 before the upgrade, without asking the master about non-hex ones', async () => {
    const before = h.sandbox.requests.length;
    for (const path of ['/ws', '/ws/zzz', `/ws/${'f'.repeat(64)}`, '/ws?token=..%2Fetc', `/ws/${token.toUpperCase()}`]) {
      const answer = await refused(h, path);
      expect(answer, path).to.deep.equal({ status: 401, type: 'application/json', body: NOT_AUTHENTICATED });
    }
    const asked = h.sandbox.requests.slice(before).filter((load) => load.cmd === 'get_token').map((load) => load.token);
    expect(asked).to.deep.equal(['f'.repeat(64)]);
  });

  it('answers 404 for paths below /ws/<token>', async () => {
    expect((await refused(h, `/ws/${token}/more`)).status).to.equal(404);
    expect((await refused(h, '/elsewhere')).status).to.equal(404);
  });

  it('refuses the session cookie from a foreign origin (not from our own, nor a token in the path)', async () => {
    const cookie = { Cookie: `session_id=${token}` };
    const foreign = await refused(h, '/ws', { headers: cookie, origin: 'http://evil.example' });
    expect(foreign.status).to.equal(403);
    track(await connect(h, '/ws', { headers: cookie, origin: h.url }));
    track(await connect(h, `/ws/${token}`, { origin: 'http://evil.example' }));
  });

  it('filters by tag globs', async () => {
    const client = track(await connect(h, `/ws/${token}?tag=wsf/keep*`));
    await ready(client);
    for (const tag of ['wsf/drop', 'wsf/keep1', 'wsf/keep2']) h.sandbox.fireEvent(tag, {});
    expect(await client.next()).to.include('"tag": "wsf/keep1"');
    expect(await client.next()).to.include('"tag": "wsf/keep2"');
  });

  it('format_events: digests a job into the jobs map', async () => {
    const client = track(await connect(h, `/ws/${token}?format_events`));
    await ready(client);
    const res = await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'local_async', tgt: '*', fun: 'test.ping' }]).expect(200);
    const jid = (res.body as { return: { jid: string }[] }).return[0]!.jid;
    const started = await client.next();
    expect(started).to.match(
      new RegExp(
        `^\\{"jobs": \\{"${jid}": \\{"jid": "${jid}", "start_time": "${STAMP}", "minions": \\{"minion-1": \\{"success": false\\}, ` +
          `"minion-2": \\{"success": false\\}\\}, "fun": "test.ping", "tgt": "\\*", "tgt_type": "glob", "state": "running"\\}\\}\\}$`,
      ),
    );
    const done = await client.until((message) => message.includes('"state": "complete"'));
    const job = (JSON.parse(done) as { jobs: Record<string, { minions: Record<string, unknown>; state: string }> }).jobs[jid]!;
    expect(job.minions).to.deep.equal({
      'minion-1': { success: true, return: true, retcode: 0 },
      'minion-2': { success: true, return: true, retcode: 0 },
    });
  });

  it('format_events: a minion id such as __proto__ or constructor (any minion can fire such a tag) is just a minion, and no prototype changes', async () => {
    const client = track(await connect(h, `/ws/${token}?format_events`));
    await ready(client);
    const jid = '20261128000000000042';
    h.sandbox.fireEvent(`salt/job/${jid}/new`, { jid, minions: ['constructor'], fun: 'test.ping', tgt: '*', tgt_type: 'glob' });
    await client.next();
    h.sandbox.fireEvent(`salt/job/${jid}/ret/__proto__`, { return: 'polluted', retcode: 0, success: true, fun: 'test.ping' });
    await client.next();
    h.sandbox.fireEvent(`salt/job/${jid}/ret/constructor`, { return: true, retcode: 0, success: true, fun: 'test.ping' });
    const done = await client.until((message) => message.includes('"state": "complete"'));
    const plain: Record<string, unknown> = {};
    expect(plain.return).to.equal(undefined);
    expect(plain.success).to.equal(undefined);
    const minions = (JSON.parse(done) as { jobs: Record<string, { minions: Record<string, unknown> }> }).jobs[jid]!.minions;
    expect(Object.keys(minions)).to.deep.equal(['constructor', '__proto__']);
    expect(minions.constructor).to.deep.equal({ success: true, return: true, retcode: 0 });
    expect(Object.getOwnPropertyDescriptor(minions, '__proto__')?.value).to.deep.equal({ success: true, return: 'polluted', retcode: 0 });
  });

  it('format_events: lists minions from grains.items, key and presence events (presence/change does not crash it)', async () => {
    const client = track(await connect(h, `/ws/${token}?format_events`));
    await ready(client);
    h.sandbox.fireEvent('salt/presence/change', { new: ['minion-9'], lost: [] });
    expect(await client.next()).to.equal('{"minions": [{"id": "minion-9"}]}');
    h.sandbox.fireEvent('salt/presence/change', {});
    h.sandbox.fireEvent('salt/presence/present', { present: ['minion-1'] });
    expect(await client.next()).to.equal('{"minions": [{"id": "minion-1"}]}');
    h.sandbox.fireEvent('salt/key', { act: 'accept', id: 'minion-7', result: true });
    expect(await client.next()).to.equal('{"minions": [{"id": "minion-1"}, {"id": "minion-7"}]}');
    h.sandbox.fireEvent('salt/job/123', {});
    h.sandbox.fireEvent('salt/job/123/ret', {});
    await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'local_async', tgt: 'minion-1', fun: 'grains.items' }]).expect(200);
    const listed = await client.until((message) => message.startsWith('{"minions"'));
    const minions = (JSON.parse(listed) as { minions: { id: string; grains: Record<string, unknown> }[] }).minions;
    expect(minions.map((minion) => minion.id)).to.deep.equal(['minion-1']);
    expect(Object.keys(listed.match(/^\{"minions": \[\{"grains": /) ? minions[0]! : {})).to.deep.equal(['grains', 'id']);
    expect(minions[0]!.grains).to.include({ id: 'minion-1' });
  });

  it('closes with 1008 within seconds of POST /logout', async () => {
    const own = await login(h);
    const client = track(await connect(h, `/ws/${own}`));
    await h.http.post('/logout').set('X-Auth-Token', own).expect(200);
    const started = Date.now();
    expect(await client.closed).to.deep.equal({ code: 1008, reason: 'closing: token no longer valid (logged out)' });
    expect(Date.now() - started).to.be.below(4000);
  });

  it('cuts off a client that stops reading; the others get every event', async function () {
    this.timeout(60_000);
    const pad = 'x'.repeat(64 * 1024);
    const slow = track(await connect(h, `/ws/${token}?tag=wsflood/*`));
    const fast = track(await connect(h, `/ws/${token}?tag=wsflood/*`));
    await ready(slow);
    await ready(fast);
    slow.socket.pause();
    const open = await openStreams(h, token);
    let fired = 0;
    // Paced by the reading client, so only the stalled one falls behind (not the bus itself),
    // until the server has let go of the stalled one.
    while (fired < 1000 && (await openStreams(h, token)) === open) {
      for (const end = fired + 8; fired < end; fired++) h.sandbox.fireEvent(`wsflood/${fired}`, { seq: fired, pad });
      const last = fired - 1;
      await fast.until((message) => message.includes(`"tag": "wsflood/${last}"`), 10_000);
    }
    expect(await openStreams(h, token)).to.equal(open - 1);
    slow.socket.resume();
    expect(await slow.closed).to.deep.equal({ code: 1008, reason: 'closing: client too slow, too many events queued for it' });
    expect(slow.messages.length).to.be.below(fired);
    expect(fast.messages.filter((message) => message.startsWith('data: '))).to.have.length(fired);
  });
});

describe('GET /ws: expiry and shutdown', () => {
  let h: Harness;
  let closed = false;
  before(async () => {
    h = await startHarness({ sandbox: { tokenExpire: 2 } });
  });
  after(async () => {
    if (!closed) await h.close();
  });

  it('closes when the token expires, even before "websocket client ready"', async () => {
    const client = await connect(h, `/ws/${await login(h)}`);
    expect(await client.closed).to.deep.equal({ code: 1008, reason: 'closing: token expired' });
  });

  it('closes with 1001 when the server shuts down', async () => {
    const client = await connect(h, `/ws/${await login(h)}`);
    await ready(client);
    const started = Date.now();
    closed = true;
    await h.close();
    expect(Date.now() - started).to.be.below(2000);
    expect(await client.closed).to.deep.equal({ code: 1001, reason: 'closing: server shutting down' });
  });
});

describe('GET /ws: clients that stop answering pings', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    // A ping every 0.5 s, and as long to answer it.
    h = await startHarness({ api: { events_heartbeat: 0.5 } });
    token = await login(h);
  });
  after(async () => {
    await h.close();
  });

  it('drops a client that never answers a ping (half-open) and releases its subscription', async () => {
    const before = await openStreams(h, token);
    // autoPong: false is a client whose end is gone: pings reach nothing that answers.
    const client = await connect(h, `/ws/${token}`, { autoPong: false });
    let pings = 0;
    client.socket.on('ping', () => pings++);
    await ready(client);
    expect(await openStreams(h, token)).to.equal(before + 1);
    // Cut without a close frame (1006 on this side): a gone client could not answer one.
    expect(await client.closed).to.deep.equal({ code: 1006, reason: '' });
    expect(pings).to.be.at.least(1);
    expect(await openStreams(h, token)).to.equal(before);
  });

  it('keeps a client that answers its pings', async () => {
    const client = await connect(h, `/ws/${token}`);
    try {
      await ready(client);
      // Four pings answered: longer than an unanswered one is kept.
      await new Promise<void>((resolve) => {
        let pings = 0;
        client.socket.on('ping', () => {
          if (++pings === 4) resolve();
        });
      });
      expect(client.socket.readyState).to.equal(WebSocket.OPEN);
      h.sandbox.fireEvent('ws/alive', { still: true });
      expect(await client.until((message) => message.includes('"tag": "ws/alive"'))).to.match(/^data: /);
    } finally {
      client.socket.terminate();
    }
  });
});
