/** GET /events (Server-Sent Events) end to end: framing, auth, filters, replay, heartbeats, endings. */
import { expect } from 'chai';
import { login, startHarness, type Harness } from './support/harness.js';
import { openSse, type SseClient } from './support/sseClient.js';
import type { SaltMap } from '../src/salt/types.js';
import { STAMP_SOURCE } from './support/release.js';

const NOT_AUTHENTICATED = '{"status": 401, "return": "No permission -- see authorization schemes"}';
const STAMP = STAMP_SOURCE;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The bytes salt-api sends for one event (given its data JSON without `_stamp`), plus our id line. */
function eventPattern(tag: string, dataWithoutStamp: string): string {
  const data = dataWithoutStamp === '{}' ? '{"_stamp": "@STAMP@"}' : `${dataWithoutStamp.slice(0, -1)}, "_stamp": "@STAMP@"}`;
  const text = `tag: ${tag}\ndata: {"data": ${data}, "tag": "${tag}"}\nid: @ID@\n\n`;
  return escapeRegExp(text).replace('@STAMP@', STAMP).replace('@ID@', '(\\d+)');
}

/** The event streams the server has open, from GET /stats. */
async function openStreams(h: Harness, token: string): Promise<number> {
  const res = await h.http.get('/stats').set('X-Auth-Token', token).expect(200);
  return (res.body as { event_streams: number }).event_streams;
}

/** Open a stream and wait until it is subscribed (its first bytes arrived). */
async function stream(h: Harness, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await openSse(h.url, path, headers);
  expect(client.status, `status of ${path}`).to.equal(200);
  await client.waitFor((text) => text.startsWith('retry: 400\n'));
  return client;
}

describe('GET /events', () => {
  let h: Harness;
  let token: string;
  const open: SseClient[] = [];
  const track = (client: SseClient): SseClient => {
    open.push(client);
    return client;
  };

  before(async () => {
    h = await startHarness();
    token = await login(h);
  });
  afterEach(() => {
    for (const client of open.splice(0)) client.close();
  });
  after(async () => {
    await h.close();
  });

  it('frames a fired event byte for byte as salt-api, plus an id line', async () => {
    const client = track(await stream(h, '/events', { 'X-Auth-Token': token }));
    expect(client.headers['content-type']).to.equal('text/event-stream;charset=utf-8');
    expect(client.headers['cache-control']).to.equal('no-cache');
    expect(client.headers.connection).to.equal('keep-alive');
    expect(client.headers['x-accel-buffering']).to.equal('no');
    expect(client.headers['transfer-encoding']).to.equal('chunked');
    h.sandbox.fireEvent('salt-api-koa/test/framing', { a: 1, text: 'é ✓', list: [true, null, 1.5] });
    const pattern = new RegExp(`^retry: 400\n${eventPattern('salt-api-koa/test/framing', '{"a": 1, "text": "é ✓", "list": [true, null, 1.5]}')}$`);
    const text = await client.waitFor((received) => pattern.test(received));
    expect(text).to.match(pattern);
  });

  it("streams a real job's events, each block tag + data + id, ids consecutive", async () => {
    const client = track(await stream(h, '/events', { 'X-Auth-Token': token }));
    const res = await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'local_async', tgt: '*', fun: 'test.ping' }]).expect(200);
    const jid = (res.body as { return: { jid: string }[] }).return[0]!.jid;
    await client.waitFor((text) => text.includes(`tag: salt/job/${jid}/ret/minion-1\n`) && text.includes(`tag: salt/job/${jid}/ret/minion-2\n`));
    expect(client.text()).to.match(/^retry: 400\ntag: /);
    const events = client.events();
    for (const block of events) {
      const parsed = JSON.parse(block.data!) as { data: SaltMap; tag: string };
      expect(Object.keys(parsed)).to.deep.equal(['data', 'tag']);
      expect(parsed.tag).to.equal(block.tag);
      expect(parsed.data).to.have.property('_stamp');
    }
    const ids = events.map((block) => Number(block.id));
    expect(ids.every((id, index) => index === 0 || id === ids[index - 1]! + 1), `ids ${ids.join(',')}`).to.equal(true);
    const tags = events.map((block) => block.tag);
    expect(tags).to.include.members([`salt/job/${jid}/new`, `salt/job/${jid}/ret/minion-1`, `salt/job/${jid}/ret/minion-2`]);
    const ret = events.find((block) => block.tag === `salt/job/${jid}/ret/minion-1`)!;
    const data = (JSON.parse(ret.data!) as { data: SaltMap }).data;
    expect(data).to.include({ cmd: '_return', id: 'minion-1', success: true, return: true, retcode: 0, jid, fun: 'test.ping' });
    expect(Object.keys(data).at(-1)).to.equal('_stamp');
  });

  describe('authentication', () => {
    it('takes the token from ?token=, ?salt_token=, X-Auth-Token or the session cookie', async () => {
      for (const [path, headers] of [
        [`/events?token=${token}`, {}],
        [`/events?salt_token=${token}`, {}],
        ['/events', { 'X-Auth-Token': token }],
        ['/events', { Cookie: `session_id=${token}` }],
      ] as const) {
        const client = track(await stream(h, path, headers));
        client.close();
      }
    });

    it('ignores unknown query parameters and the Accept header an EventSource sends', async () => {
      track(await stream(h, `/events?token=${token}&foo=1&lastEventId=2`, { Accept: 'text/event-stream' }));
    });

    it('answers 401 with a JSON body for a missing, malformed or unknown token', async () => {
      const unknown = 'f'.repeat(64);
      for (const path of ['/events', '/events?token=zzz', '/events?token=../../etc/passwd', `/events?token=${unknown}`, `/events?salt_token=${unknown}`]) {
        const res = await h.http.get(path).expect(401);
        expect(res.headers['content-type'], path).to.equal('application/json');
        expect(res.text, path).to.equal(NOT_AUTHENTICATED);
      }
      const res = await h.http.get('/events').set('X-Auth-Token', 'not hex').expect(401);
      expect(res.text).to.equal(NOT_AUTHENTICATED);
    });

    it('never asks the master about a token that is not hex', async () => {
      const before = h.sandbox.requests.length;
      await h.http.get('/events?token=..%2F..%2Fetc%2Fpasswd').expect(401);
      await h.http.get('/events?token=ABCDEF').expect(401);
      const asked = h.sandbox.requests.slice(before).filter((load) => load.cmd === 'get_token');
      expect(asked).to.deep.equal([]);
    });

    it('query token wins over the header, as in salt-api', async () => {
      await h.http.get(`/events?token=${'0'.repeat(64)}`).set('X-Auth-Token', token).expect(401);
    });
  });

  it('answers HEAD with the stream headers and 405 for other methods', async () => {
    const head = await h.http.head(`/events?token=${token}`).expect(200);
    expect(head.headers['content-type']).to.equal('text/event-stream;charset=utf-8');
    const post = await h.http.post(`/events?token=${token}`).expect(405);
    expect(post.headers.allow).to.equal('GET, HEAD');
  });

  it('filters by tag globs server-side (repeatable ?tag=)', async () => {
    const client = track(await stream(h, `/events?token=${token}&tag=filter/a/*&tag=filter/c`));
    for (const tag of ['filter/a/1', 'filter/b/1', 'filter/c', 'filter/cc', 'filter/a/2/deep']) h.sandbox.fireEvent(tag, { tag });
    h.sandbox.fireEvent('filter/done', {});
    const unfiltered = track(await stream(h, `/events?token=${token}&tag=filter/done`));
    h.sandbox.fireEvent('filter/c', { again: true });
    h.sandbox.fireEvent('filter/done', {});
    await unfiltered.waitFor((text) => text.includes('tag: filter/done'));
    await client.waitFor((text) => text.includes('"again": true'));
    expect(client.events().map((block) => block.tag)).to.deep.equal(['filter/a/1', 'filter/c', 'filter/a/2/deep', 'filter/c']);
  });

  it('keeps bus order around an event too big to decode in one go (decoded in slices)', async () => {
    const client = track(await stream(h, `/events?token=${token}&tag=order/*`));
    const big: SaltMap = {};
    for (let i = 0; i < 3000; i++) big[`minion-${i}`] = { text: `${'x'.repeat(600)}${i}` };
    h.sandbox.fireEvent('order/1', { n: 1 });
    h.sandbox.fireEvent('order/2', big);
    h.sandbox.fireEvent('order/3', { n: 3 });
    await client.waitFor((text) => text.includes('tag: order/3'), 20_000);
    expect(client.events().map((block) => block.tag)).to.deep.equal(['order/1', 'order/2', 'order/3']);
    const data = (JSON.parse(client.events()[1]!.data!) as { data: SaltMap }).data;
    expect(Object.keys(data).filter((key) => key.startsWith('minion-'))).to.have.length(3000);
    expect(data['minion-2999']).to.deep.equal({ text: `${'x'.repeat(600)}2999` });
  });

  it('refuses absurd tag filters with 400', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `tag=t${i}`).join('&');
    await h.http.get(`/events?token=${token}&${many}`).expect(400);
  });

  it('escapes line breaks in a tag so they cannot forge SSE fields', async () => {
    const client = track(await stream(h, `/events?token=${token}&tag=evil*`));
    h.sandbox.fireEvent('evil\nretry: 1\r\ndata: x', {});
    await client.waitFor((text) => text.includes('\nid: '));
    expect(client.text()).to.match(/^retry: 400\ntag: evil\\nretry: 1\\r\\ndata: x\ndata: \{"data": \{"_stamp": "[^"]+"\}, "tag": "evil\\nretry: 1\\r\\ndata: x"\}\nid: \d+\n\n$/);
  });

  it('replays what followed Last-Event-ID, then goes on live', async () => {
    const first = track(await stream(h, `/events?token=${token}&tag=replay/*`));
    for (const n of [1, 2, 3]) h.sandbox.fireEvent(`replay/${n}`, { n });
    await first.waitFor((text) => text.includes('tag: replay/3'));
    const [one] = first.events();
    const again = track(await openSse(h.url, `/events?token=${token}&tag=replay/*`, { 'Last-Event-ID': one!.id! }));
    await again.waitFor((text) => text.includes('tag: replay/3'));
    h.sandbox.fireEvent('replay/4', { n: 4 });
    await again.waitFor((text) => text.includes('tag: replay/4'));
    expect(again.events().map((block) => block.tag)).to.deep.equal(['replay/2', 'replay/3', 'replay/4']);
    expect(again.events().map((block) => block.id)).to.deep.equal([...first.events().slice(1, 3).map((block) => block.id), String(Number(one!.id) + 3)]);
  });

  it('says so when the Last-Event-ID is not from this process, and replays nothing', async () => {
    const client = track(await openSse(h.url, `/events?token=${token}&tag=unknown/*`, { 'Last-Event-ID': '12' }));
    await client.waitFor((text) => text.includes(': Last-Event-ID is not from this server process; nothing replayed\n\n'));
    expect(client.events()).to.deep.equal([]);
  });

  it('replaces invalid UTF-8 in event data and keeps streaming; skips what JSON cannot carry', async () => {
    const client = track(await stream(h, `/events?token=${token}&tag=utf8/*`));
    h.sandbox.fireEvent('utf8/bytes', { blob: Buffer.from([0x61, 0xff, 0xfe, 0x62]) });
    h.sandbox.fireEvent('utf8/date', { when: new Date(0) } as unknown as SaltMap);
    h.sandbox.fireEvent('utf8/after', { ok: true });
    await client.waitFor((text) => text.includes('tag: utf8/after'));
    const bytes = client.bytes().toString('latin1');
    expect(bytes).to.include('"blob": "a\xef\xbf\xbd\xef\xbf\xbdb"');
    expect(client.text()).to.match(/: event \d+ skipped: its data cannot be encoded as JSON\n\n/);
    expect(client.events().map((block) => block.tag)).to.deep.equal(['utf8/bytes', 'utf8/after']);
  });

  it('ends the stream within seconds of POST /logout, with a comment saying why', async () => {
    const own = await login(h);
    const client = track(await stream(h, `/events?token=${own}`));
    await h.http.post('/logout').set('X-Auth-Token', own).expect(200);
    const started = Date.now();
    const text = await client.ended;
    expect(Date.now() - started).to.be.below(4000);
    expect(text).to.match(/: closing: token no longer valid \(logged out\)\n\n$/);
  });

  it('cuts off a client that stops reading; the others get every event', async function () {
    this.timeout(60_000);
    const pad = 'x'.repeat(64 * 1024);
    const slow = track(await stream(h, `/events?token=${token}&tag=flood/*`));
    slow.pause();
    const fast = track(await stream(h, `/events?token=${token}&tag=flood/*`));
    const open = await openStreams(h, token);
    const received = (seq: number) => () => fast.tail(1_200_000).includes(`tag: flood/${seq}\n`);
    let fired = 0;
    // Paced by the reading client, so only the stalled one falls behind (not the bus itself),
    // until the server has let go of the stalled one.
    while (fired < 1000 && (await openStreams(h, token)) === open) {
      for (const end = fired + 8; fired < end; fired++) h.sandbox.fireEvent(`flood/${fired}`, { seq: fired, pad });
      await fast.waitFor(received(fired - 1), 10_000);
    }
    expect(await openStreams(h, token)).to.equal(open - 1);
    slow.resume();
    const text = await slow.ended;
    expect(text).to.match(/: closing: client too slow, too many events queued for it\n\n$/);
    expect(text.split('\ntag: flood/').length - 1).to.be.below(fired);
    const fastIds = fast.events().map((block) => Number(block.id));
    expect(fastIds).to.have.length(fired);
    expect(fastIds.every((id, index) => index === 0 || id === fastIds[index - 1]! + 1)).to.equal(true);
  });
});

describe('GET /events: heartbeats and the master bus going away', () => {
  let h: Harness;
  let token: string;
  let client: SseClient | undefined;
  before(async () => {
    h = await startHarness({ api: { events_heartbeat: 0.2 } });
    token = await login(h);
  });
  afterEach(() => client?.close());
  after(async () => {
    await h.close();
  });

  it('sends a comment every events_heartbeat seconds (fractions accepted)', async () => {
    client = await stream(h, `/events?token=${token}`);
    const started = Date.now();
    await client.waitFor((text) => text.split(': heartbeat\n\n').length > 3, 3000);
    expect(Date.now() - started).to.be.within(500, 2000);
    expect(client.text()).to.match(/^retry: 400\n: heartbeat\n\n: heartbeat\n\n/);
  });

  it('reports the bus dropping and coming back, and stays open', async () => {
    client = await stream(h, `/events?token=${token}&tag=bus/*`);
    await h.sandbox.stopMaster();
    await client.waitFor((text) => text.includes(': master event bus disconnected; events are lost until it is back\n\n'));
    await h.sandbox.startMaster();
    await client.waitFor((text) => text.includes(': master event bus connected\n\n'), 5000);
    h.sandbox.fireEvent('bus/after', { back: true });
    await client.waitFor((text) => text.includes('tag: bus/after\n'));
  });

  it('tells a client that connects while the bus is down', async () => {
    await h.sandbox.stopMaster();
    try {
      client = await stream(h, `/events?token=${token}`);
      await client.waitFor((text) => text.includes(': master event bus disconnected'));
    } finally {
      await h.sandbox.startMaster();
    }
  });
});

describe('GET /events: replay ring and endings', () => {
  let h: Harness;
  let closed = false;
  before(async () => {
    h = await startHarness({ api: { events_ring_size: 3 }, sandbox: { tokenExpire: 3 } });
  });
  after(async () => {
    if (!closed) await h.close();
  });

  it('says how many events fell out of the ring before replaying the rest', async () => {
    const token = await login(h);
    const first = await stream(h, `/events?token=${token}`);
    for (const n of [1, 2, 3, 4, 5, 6]) h.sandbox.fireEvent(`ring/${n}`, { n });
    await first.waitFor((text) => text.includes('tag: ring/6'));
    first.close();
    const lastSeen = first.events()[0]!.id!;
    const again = await openSse(h.url, `/events?token=${token}`, { 'Last-Event-ID': lastSeen });
    await again.waitFor((text) => text.includes('tag: ring/6'));
    again.close();
    expect(again.text()).to.match(/^retry: 400\n: 2 events after Last-Event-ID are no longer kept and cannot be replayed\n\ntag: ring\/4\n/);
    expect(again.events().map((block) => block.tag)).to.deep.equal(['ring/4', 'ring/5', 'ring/6']);
  });

  it('ends the stream when the token expires, even with no events', async function () {
    this.timeout(10_000);
    const own = await login(h);
    const client = await stream(h, `/events?token=${own}`);
    const text = await client.ended;
    expect(text).to.equal('retry: 400\n: closing: token expired\n\n');
  });

  it('ends open streams promptly when the server closes', async () => {
    const own = await login(h);
    const client = await stream(h, `/events?token=${own}`);
    const started = Date.now();
    closed = true;
    await h.close();
    expect(Date.now() - started).to.be.below(2000);
    expect(await client.ended).to.equal('retry: 400\n: closing: server shutting down\n\n');
  });
});
