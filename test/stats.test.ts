/** GET /stats: this server's own figures, its auth, and the counters behind it (http-api.md §7.17). */
import { expect } from 'chai';
import { LatencySamples } from '../src/stats/latencySamples.js';
import { ServerStats } from '../src/stats/serverStats.js';
import { startHarness, login, type Harness } from './support/harness.js';
import { waitUntil } from './support/wait.js';


interface Stats {
  uptime_seconds: number;
  requests: { total: number; '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  in_flight: number;
  event_streams: number;
  event_bus: { connected: boolean; reconnects: number };
  master_round_trip_ms: { samples: number; p50: number | null; p90: number | null; p99: number | null };
  rss_bytes: number;
}

describe('GET /stats', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness();
    token = await login(h);
  });
  after(async () => {
    await h.close();
  });

  const stats = async (): Promise<Stats> => (await h.http.get('/stats').set('X-Auth-Token', token).set('Accept', 'application/json').expect(200)).body as Stats;

  it('answers a JSON object of this server’s figures', async () => {
    const res = await h.http.get('/stats').set('X-Auth-Token', token).set('Accept', 'application/json').expect(200);
    expect(res.headers['content-type']).to.equal('application/json');
    expect(res.headers['cache-control']).to.equal('private');
    const body = res.body as Stats;
    expect(Object.keys(body)).to.deep.equal(['uptime_seconds', 'requests', 'in_flight', 'event_streams', 'event_bus', 'master_round_trip_ms', 'rss_bytes']);
    expect(body.uptime_seconds).to.be.a('number').and.at.least(0);
    expect(Object.keys(body.requests)).to.deep.equal(['total', '2xx', '3xx', '4xx', '5xx']);
    expect(body.in_flight).to.equal(1);
    expect(body.event_streams).to.equal(0);
    expect(body.event_bus).to.deep.equal({ connected: true, reconnects: 0 });
    expect(body.rss_bytes).to.be.above(0);
    const latency = body.master_round_trip_ms;
    expect(latency.samples).to.be.at.least(1);
    expect(latency.p50).to.be.a('number').and.at.least(0);
    expect(latency.p50!).to.be.at.most(latency.p90!);
    expect(latency.p90!).to.be.at.most(latency.p99!);
  });

  it('counts finished requests by status class', async () => {
    const before = await stats();
    await h.http.get('/').expect(200);
    await h.http.get('/nope').expect(404);
    await h.http.post('/').send([]).expect(401);
    await h.http.get('/').set('Accept', 'text/nothing').expect(406);
    const after = await stats();
    // The first /stats itself finished in between, with a 200.
    expect(after.requests.total - before.requests.total).to.equal(5);
    expect(after.requests['2xx'] - before.requests['2xx']).to.equal(2);
    expect(after.requests['4xx'] - before.requests['4xx']).to.equal(3);
    expect(after.requests['5xx']).to.equal(before.requests['5xx']);
    expect(after.uptime_seconds).to.be.at.least(before.uptime_seconds);
  });

  it('counts requests in flight', async () => {
    h.sandbox.setReplyDelay(0.3);
    try {
      const asked = h.sandbox.requests.length;
      const slow = h.http.post('/login').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).then((res) => res.status);
      await waitUntil('the login reached the master', () => h.sandbox.requests.slice(asked).some((load) => load.cmd === 'mk_token'));
      h.sandbox.setReplyDelay(0);
      const during = (await h.http.get('/stats').set('X-Auth-Token', token).set('Accept', 'application/json').expect(200)).body as Stats;
      expect(during.in_flight).to.equal(2);
      expect(await slow).to.equal(200);
    } finally {
      h.sandbox.setReplyDelay(0);
    }
  });

  it('answers YAML when asked', async () => {
    const res = await h.http.get('/stats').set('X-Auth-Token', token).set('Accept', 'application/x-yaml').expect(200);
    expect(res.text).to.match(/^event_bus:\n/);
  });

  it('401 without a session or with an unknown token', async () => {
    const res = await h.http.get('/stats').set('Accept', 'application/json').expect(401);
    expect(res.body).to.deep.equal({ status: 401, return: 'No permission -- see authorization schemes' });
    await h.http.get('/stats').set('X-Auth-Token', 'ab'.repeat(32)).expect(401);
  });
});

describe('GET /stats with stats_disable_auth', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ api: { stats_disable_auth: true, master_timeout: 1 } });
  });
  after(async () => {
    await h.close();
  });

  it('answers without a session', async () => {
    const res = await h.http.get('/stats').set('Accept', 'application/json').expect(200);
    expect(res.body.requests.total).to.be.a('number');
  });

  it('counts a 5xx and a reconnect of the event bus when the master restarts', async function () {
    this.timeout(15000);
    await h.sandbox.stopMaster();
    try {
      await h.http.post('/login').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(503);
    } finally {
      await h.sandbox.startMaster();
    }
    let body: Stats | undefined;
    await waitUntil('the event bus is back', async () => {
      body = (await h.http.get('/stats').set('Accept', 'application/json').expect(200)).body as Stats;
      return body.event_bus.connected;
    });
    expect(body?.event_bus).to.deep.equal({ connected: true, reconnects: 1 });
    expect(body?.requests['5xx']).to.equal(1);
  });
});

describe('ServerStats and LatencySamples', () => {
  it('trackEventStream counts a stream until it is released, once', () => {
    const stats = new ServerStats();
    const release = stats.trackEventStream('sse');
    const other = stats.trackEventStream('ws');
    expect(stats.snapshot().event_streams).to.equal(2);
    release();
    release();
    expect(stats.snapshot().event_streams).to.equal(1);
    expect([stats.eventStreams('sse'), stats.eventStreams('ws')]).to.deep.equal([0, 1]);
    other();
    expect(stats.snapshot().event_streams).to.equal(0);
  });

  it('gives nearest-rank percentiles over the most recent samples only', () => {
    const samples = new LatencySamples(100);
    expect(samples.percentiles()).to.deep.equal({ samples: 0, p50: null, p90: null, p99: null });
    for (let i = 1; i <= 100; i++) samples.record(i);
    expect(samples.percentiles()).to.deep.equal({ samples: 100, p50: 50, p90: 90, p99: 99 });
    for (let i = 0; i < 100; i++) samples.record(1000);
    expect(samples.percentiles()).to.deep.equal({ samples: 100, p50: 1000, p90: 1000, p99: 1000 });
  });
});
