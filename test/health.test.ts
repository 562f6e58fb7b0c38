/**
 * GET /healthz and GET /readyz: no session, no 406, exempt from authorized_ips; readyz follows the
 * master (503 with the reason while it is down or slow, 200 once it is back) and shares one ping
 * among concurrent probes; neither counts in /stats nor, by default, in the access log.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { load } from 'js-yaml';
import { startHarness, type Harness } from './support/harness.js';
import { waitUntil } from './support/wait.js';

const pings = (h: Harness) => h.sandbox.requests.filter((load) => load.cmd === 'ping').length;

describe('health checks', () => {
  let h: Harness;
  before(async () => {
    // authorized_ips excludes the test client: health checks must still answer.
    h = await startHarness({ api: { master_timeout: 1, authorized_ips: ['192.0.2.1'], stats_disable_auth: true } });
  });
  after(async () => {
    await h.close();
  });

  it('GET /healthz answers 200 {"status": "ok"} without a session, from an address outside authorized_ips', async () => {
    const res = await h.http.get('/healthz').expect(200).expect('Content-Type', 'application/json');
    expect(res.body).to.deep.equal({ status: 'ok' });
    // The allow-list still guards everything else.
    await h.http.get('/').expect(403);
  });

  it('answers HEAD, YAML when asked, and JSON rather than 406 for an unacceptable Accept', async () => {
    const head = await h.http.head('/healthz').expect(200);
    expect(head.text).to.equal(undefined);
    const yamlRes = await h.http.get('/healthz').set('Accept', 'application/x-yaml').buffer(true).expect(200).expect('Content-Type', 'application/x-yaml');
    expect(load(yamlRes.text)).to.deep.equal({ status: 'ok' });
    const odd = await h.http.get('/healthz').set('Accept', 'image/png').expect(200).expect('Content-Type', 'application/json');
    expect(odd.body).to.deep.equal({ status: 'ok' });
    await h.http.get('/readyz').set('Accept', 'text/html;q=x').expect(200).expect('Content-Type', 'application/json');
  });

  it('refuses other methods with 405', async () => {
    const res = await h.http.post('/healthz').send({}).expect(405);
    expect(res.headers.allow).to.match(/GET/);
  });

  it('GET /readyz answers 200 with the request server answering and the bus connected', async () => {
    await waitUntil('the readyz cache expires', async () => (await h.http.get('/readyz')).status === 200);
    const res = await h.http.get('/readyz').expect(200);
    expect(res.body).to.deep.equal({ status: 'ready', request_server: 'answering', event_bus: 'connected' });
  });

  it('shares one ping among concurrent probes and reuses its result for about a second', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const before = pings(h);
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 30 }, () => h.http.get('/readyz')));
    const elapsedMs = performance.now() - started;
    expect(answers.map((res) => res.status)).to.deep.equal(Array(30).fill(200));
    // One ping, and on a machine so loaded that the 30 took over a second, one more per second.
    expect(pings(h) - before).to.be.at.least(1).and.at.most(1 + Math.floor(elapsedMs / 1000));
  });

  it('answers 503 with the reason while the master is down, 200 again once it is back', async () => {
    await h.sandbox.stopMaster();
    try {
      // A result younger than a second may still be served; wait for the first probe of the stopped master.
      await waitUntil('readyz reports the request server down', async () => (await h.http.get('/readyz')).body.request_server === 'not answering', 10_000);
      const res = await h.http.get('/readyz').expect(503).expect('Content-Type', 'application/json');
      expect(res.body).to.deep.equal({
        status: 'unavailable',
        reason: "the master's request server did not answer a ping within master_timeout (1 s); the master event bus is not connected",
        request_server: 'not answering',
        event_bus: 'not connected',
      });
      // The process itself still serves.
      await h.http.get('/healthz').expect(200);
    } finally {
      await h.sandbox.startMaster();
    }
    await waitUntil('readyz reports the master back', async () => (await h.http.get('/readyz')).status === 200, 15_000);
  });

  it('answers 503 naming the request server when the master is too slow but the bus is up', async () => {
    h.sandbox.setReplyDelay(2);
    try {
      await waitUntil('readyz reports the slow master', async () => (await h.http.get('/readyz')).body.request_server === 'not answering', 10_000);
      const res = await h.http.get('/readyz').expect(503);
      expect(res.body).to.deep.include({ status: 'unavailable', request_server: 'not answering', event_bus: 'connected' });
      expect(res.body.reason).to.equal("the master's request server did not answer a ping within master_timeout (1 s)");
    } finally {
      h.sandbox.setReplyDelay(0);
    }
    await waitUntil('readyz reports the master back', async () => (await h.http.get('/readyz')).status === 200, 10_000);
  });

  it('leaves health checks out of the /stats request figures', async () => {
    // /stats is behind authorized_ips too, so it is read through a harness without the allow-list.
    const open = await startHarness({ api: { stats_disable_auth: true } });
    try {
      const total = async () => ((await open.http.get('/stats').expect(200)).body as { requests: { total: number } }).requests.total;
      const first = await total();
      await Promise.all([open.http.get('/healthz').expect(200), open.http.get('/readyz').expect(200), open.http.head('/healthz').expect(200)]);
      // Only the second /stats itself is new.
      expect(await total()).to.equal(first + 1);
    } finally {
      await open.close();
    }
  });
});

describe('health checks and the access log', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-health-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The access log's request lines once `last` (always logged) has been written. */
  async function loggedRequests(api: Record<string, unknown>): Promise<string[]> {
    const file = path.join(dir, `access-${String(api.log_health_checks)}.log`);
    const h = await startHarness({ api: { ...api, log_access_file: file } });
    try {
      await h.http.get('/healthz').expect(200);
      await h.http.get('/readyz').expect(200);
      await h.http.get('/').expect(200);
      const read = () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
      await waitUntil('the access line of GET /', () => read().some((line) => line.includes('"GET / HTTP/1.1"')));
      return read().map((line) => /"(\w+ \S+) HTTP/.exec(line)?.[1] ?? line);
    } finally {
      await h.close();
    }
  }

  it('has no line for them by default', async () => {
    expect(await loggedRequests({})).to.deep.equal(['GET /']);
  });

  it('has their lines with log_health_checks: true', async () => {
    expect(await loggedRequests({ log_health_checks: true })).to.deep.equal(['GET /healthz', 'GET /readyz', 'GET /']);
  });

  it('serves them under root_prefix', async () => {
    const h = await startHarness({ api: { root_prefix: '/salt' } });
    try {
      await h.http.get('/salt/healthz').expect(200);
      await h.http.get('/salt/readyz').expect(200);
      await h.http.get('/healthz').expect(404);
    } finally {
      await h.close();
    }
  });
});
