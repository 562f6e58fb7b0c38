/**
 * `GET /metrics` (Prometheus text exposition): its access rule, the counters and gauges behind it
 * observed through real requests on the sandbox master, Prometheus's own linter on the output,
 * the Grafana dashboard's queries against what is exported, and one scrape of `workers: 2`
 * adding up both workers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { dump, load } from 'js-yaml';
import request from 'supertest';
import WebSocket from 'ws';
import { ConfigError } from '../src/config/configError.js';
import { settingsFromMaster } from '../src/config/settings.js';
import { startHarness, login, type Harness } from './support/harness.js';
import { projectRoot } from './support/paths.js';
import { findOnPath } from './support/pepper.js';
import { parseScrape, promtoolCheck, valueOf, hasSeries, type Scrape } from './support/promText.js';
import { openSse } from './support/sseClient.js';
import { freePort } from './support/sockets.js';
import { waitFor, waitUntil } from './support/wait.js';
import { startCli, startSandboxProcess, type WatchedProcess } from './support/cliProcess.js';

const PROMTOOL = findOnPath('promtool');
const NO_PROMTOOL = 'promtool is not on PATH (Debian: apt-get install prometheus; .ci/run installs it)';
const PROMETHEUS = findOnPath('prometheus');
const NO_PROMETHEUS = 'prometheus is not on PATH (Debian: apt-get install prometheus; .ci/run installs it)';
/** What Prometheus 2.x and 3.x send when they scrape. */
const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8';
const DASHBOARD = path.join(projectRoot, 'examples', 'grafana', 'salt-api-koa.json');

const CREDENTIALS = { username: 'saltdev', password: 'saltdev', eauth: 'auto' };

/** A method Node's parser knows and no route has. */
function propfind(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL('/', url), { method: 'PROPFIND', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /metrics: access', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness();
    token = await login(h);
  });
  after(async () => {
    await h?.close();
  });

  it('is not there with enable_metrics: false (404), while /stats still counts', async () => {
    const off = await startHarness({ api: { enable_metrics: false } });
    try {
      const offToken = await login(off);
      const res = await off.http.get('/metrics').set('X-Auth-Token', offToken).set('Accept', 'application/json').expect(404);
      expect(res.body).to.have.property('status', 404);
      const stats = await off.http.get('/stats').set('X-Auth-Token', offToken).expect(200);
      expect((stats.body as { requests: { total: number } }).requests.total).to.be.greaterThan(1);
    } finally {
      await off.close();
    }
  });

  it('401 without a session or with an unknown token, as data', async () => {
    const res = await h.http.get('/metrics').set('Accept', 'application/json').expect(401);
    expect(res.body).to.deep.equal({ status: 401, return: 'No permission -- see authorization schemes' });
    await h.http.get('/metrics').set('X-Auth-Token', 'ab'.repeat(32)).expect(401);
  });

  it('answers a Prometheus scrape with a token in X-Auth-Token', async () => {
    const res = await h.http.get('/metrics').set('X-Auth-Token', token).set('Accept', PROMETHEUS_ACCEPT).expect(200);
    expect(res.headers['content-type']).to.equal(TEXT_FORMAT);
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(res.text).to.include('# TYPE saltapi_http_requests_total counter\n');
    expect(res.text).to.include('# TYPE nodejs_eventloop_lag_p99_seconds gauge\n');
  });

  it('takes the token from Authorization: Bearer, as Prometheus sends it', async () => {
    await h.http.get('/metrics').set('Authorization', `Bearer ${token}`).expect(200);
    await h.http.get('/metrics').set('Authorization', `Bearer ${'ab'.repeat(32)}`).expect(401);
    await h.http.get('/metrics').set('Authorization', `Basic ${Buffer.from(`saltdev:${token}`).toString('base64')}`).expect(401);
    // X-Auth-Token wins.
    await h.http.get('/metrics').set('Authorization', `Bearer ${token}`).set('X-Auth-Token', 'ab'.repeat(32)).expect(401);
  });

  it('answers the text whatever the Accept header, which only the JSON API negotiates', async () => {
    for (const accept of ['application/x-yaml', 'text/plain', 'application/x-nothing', '']) {
      const res = await h.http.get('/metrics').set('X-Auth-Token', token).set('Accept', accept).expect(200);
      expect(res.headers['content-type'], accept).to.equal(TEXT_FORMAT);
    }
  });

  it('answers HEAD like GET, without a body', async () => {
    const res = await h.http.head('/metrics').set('X-Auth-Token', token).expect(200);
    expect(res.headers['content-type']).to.equal(TEXT_FORMAT);
    expect(res.text ?? '').to.equal('');
  });
});

describe('GET /metrics: what it counts', function () {
  this.timeout(30_000);
  let h: Harness;
  let token: string;
  const scrape = async (): Promise<Scrape> => {
    const res = await h.http.get('/metrics').set('Accept', PROMETHEUS_ACCEPT).expect(200);
    return parseScrape(res.text);
  };
  /** What `action` added to the series named `name` with labels including `labels`. */
  const delta = async (action: () => Promise<unknown>, series: [string, Record<string, string>][]): Promise<number[]> => {
    const before = await scrape();
    await action();
    const after = await scrape();
    return series.map(([name, labels]) => valueOf(after, name, labels) - valueOf(before, name, labels));
  };

  before(async () => {
    h = await startHarness({ api: { metrics_disable_auth: true, master_timeout: 1 } });
    token = await login(h);
  });
  after(async () => {
    await h?.close();
  });

  it('answers without a session with metrics_disable_auth', async () => {
    const res = await h.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).to.equal(TEXT_FORMAT);
  });

  it('reads metrics_disable_auth strictly', () => {
    const raw = { ...h.sandbox.config, rest_koa: { ...(h.sandbox.config.rest_koa as Record<string, unknown>), metrics_disable_auth: 'false' } };
    expect(() => settingsFromMaster(raw, 'test')).to.throw(ConfigError, 'rest_koa.metrics_disable_auth: expected true or false, got "false"');
    const unknown: string[] = [];
    settingsFromMaster({ ...raw, rest_koa: { ...raw.rest_koa, metrics_disable_auth: true } }, 'test', (warning) => unknown.push(warning));
    expect(unknown).to.deep.equal([]);
  });

  it('counts and times requests by route template, never by URL', async () => {
    const jid = '20240101000000000001';
    const junk = `no/such/path-${Math.random().toString(36).slice(2)}`;
    const before = await scrape();
    await h.http.get(`/jobs/${jid}`).set('X-Auth-Token', token).expect(200);
    await h.http.get(`/jobs/${jid}/`).set('X-Auth-Token', token).expect(200);
    await h.http.get('/minions/minion-1').set('X-Auth-Token', token).expect(200);
    await h.http.get(`/${junk}`).expect(404);
    await h.http.put('/login').expect(405);
    expect(await propfind(h.url)).to.be.within(400, 599);
    const after = await scrape();
    const added = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(added('saltapi_http_requests_total', { route: '/jobs/:jid', method: 'GET', status: '200' })).to.equal(2);
    expect(added('saltapi_http_request_duration_seconds_count', { route: '/jobs/:jid', method: 'GET' })).to.equal(2);
    expect(added('saltapi_http_request_duration_seconds_bucket', { route: '/jobs/:jid', method: 'GET', le: '+Inf' })).to.equal(2);
    expect(added('saltapi_http_requests_total', { route: '/minions/:mid', method: 'GET', status: '200' })).to.equal(1);
    expect(added('saltapi_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' })).to.equal(1);
    expect(added('saltapi_http_requests_total', { route: '/login', method: 'PUT', status: '405' })).to.equal(1);
    expect(added('saltapi_http_requests_total', { route: '/', method: 'other' })).to.equal(1);
    // The previous scrape is counted once it has gone out.
    expect(added('saltapi_http_requests_total', { route: '/metrics', method: 'GET', status: '200' })).to.equal(1);
    for (const sample of after.samples) {
      for (const value of Object.values(sample.labels)) {
        expect(value, sample.name).not.to.include(jid);
        expect(value, sample.name).not.to.include('path-');
      }
    }
  });

  it('counts master round trips by command and outcome, and times those that got a reply', async () => {
    const series: [string, Record<string, string>][] = [
      ['saltapi_master_requests_total', { cmd: 'mk_token', outcome: 'ok' }],
      ['saltapi_master_requests_total', { cmd: 'publish', outcome: 'ok' }],
      ['saltapi_master_requests_total', { cmd: 'wheel', outcome: 'ok' }],
      ['saltapi_master_request_duration_seconds_count', { cmd: 'mk_token' }],
      ['saltapi_master_request_duration_seconds_count', { cmd: 'wheel' }],
    ];
    const added = await delta(async () => {
      await h.http.post('/login').send(CREDENTIALS).expect(200);
      await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'local_async', tgt: 'minion-1', fun: 'test.ping' }]).expect(200);
      await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'wheel', fun: 'key.list_all' }]).expect(200);
    }, series);
    expect(added).to.deep.equal([1, 1, 1, 1, 1]);
  });

  it('counts logins by eauth backend and outcome, with backends not configured as other', async () => {
    const backend = `backend-${Math.random().toString(36).slice(2)}`;
    const before = await scrape();
    await h.http.post('/login').send(CREDENTIALS).expect(200);
    await h.http.post('/login').send({ ...CREDENTIALS, password: 'wrong' }).expect(401);
    await h.http.post('/login').send({ ...CREDENTIALS, eauth: backend }).expect(401);
    await h.http.post('/token').send([{ ...CREDENTIALS, eauth: 'pam' }]).expect(200);
    // Credentials in a /run chunk are traded for a token once, then reused.
    const run = [{ client: 'local', tgt: 'minion-1', fun: 'test.ping', ...CREDENTIALS, eauth: 'sharedsecret' }];
    await h.http.post('/run').send(run).expect(200);
    await h.http.post('/run').send(run).expect(200);
    const after = await scrape();
    const added = (labels: Record<string, string>) => valueOf(after, 'saltapi_logins_total', labels) - valueOf(before, 'saltapi_logins_total', labels);
    expect(added({ eauth: 'auto', outcome: 'success' })).to.equal(1);
    expect(added({ eauth: 'auto', outcome: 'failure' })).to.equal(1);
    expect(added({ eauth: 'other', outcome: 'failure' })).to.equal(1);
    expect(added({ eauth: 'pam', outcome: 'success' })).to.equal(1);
    expect(added({ eauth: 'sharedsecret', outcome: 'success' })).to.equal(1);
    expect(after.samples.some((sample) => sample.labels.eauth === backend)).to.equal(false);
  });

  it('reports a master that does not answer: timeouts, login errors, a disconnected bus and its reconnect', async function () {
    this.timeout(20_000);
    const before = await scrape();
    expect(valueOf(before, 'saltapi_event_bus_connected')).to.equal(1);
    await h.sandbox.stopMaster();
    try {
      await h.http.post('/login').send(CREDENTIALS).expect(503);
      await waitUntil('the bus is reported down', async () => valueOf(await scrape(), 'saltapi_event_bus_connected') === 0);
    } finally {
      await h.sandbox.startMaster();
    }
    await waitUntil('the bus is reported up', async () => valueOf(await scrape(), 'saltapi_event_bus_connected') === 1, 10_000);
    const after = await scrape();
    const added = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(added('saltapi_master_requests_total', { cmd: 'mk_token', outcome: 'timeout' })).to.equal(1);
    expect(added('saltapi_master_request_duration_seconds_count', { cmd: 'mk_token' })).to.equal(0);
    expect(added('saltapi_logins_total', { eauth: 'auto', outcome: 'error' })).to.equal(1);
    expect(added('saltapi_event_bus_reconnects_total')).to.equal(1);
    expect(added('saltapi_http_requests_total', { route: '/login', method: 'POST', status: '503' })).to.equal(1);
  });

  it('counts jobs by netapi client and outcome', async () => {
    const clients = ['local', 'local_async', 'runner', 'runner_async', 'wheel'];
    const series: [string, Record<string, string>][] = clients.map((client) => ['saltapi_netapi_jobs_total', { client, outcome: 'ok' }]);
    series.push(['saltapi_netapi_jobs_total', { client: 'local', outcome: 'error' }]);
    const added = await delta(async () => {
      const lowstate = [
        { client: 'local', tgt: 'minion-1', fun: 'test.ping' },
        { client: 'local_async', tgt: 'minion-1', fun: 'test.ping' },
        { client: 'runner', fun: 'manage.up' },
        { client: 'runner_async', fun: 'manage.up' },
        { client: 'wheel', fun: 'key.list_all' },
      ];
      await h.http.post('/').set('X-Auth-Token', token).send(lowstate).expect(200);
      // Refused by the client itself (no function given), after the credentials were confirmed.
      await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'local', tgt: 'minion-1' }]).expect(400);
      // Refused before anything runs: no job.
      await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'nope', fun: 'test.ping' }]).expect(400);
    }, series);
    expect(added).to.deep.equal([1, 1, 1, 1, 1, 1]);
  });

  it('counts token cache hits and misses', async () => {
    const fresh = await login(h);
    const series: [string, Record<string, string>][] = [
      ['saltapi_token_cache_lookups_total', { cache: 'session', result: 'hit' }],
      ['saltapi_token_cache_lookups_total', { cache: 'session', result: 'miss' }],
      ['saltapi_token_cache_lookups_total', { cache: 'credentials', result: 'hit' }],
      ['saltapi_token_cache_lookups_total', { cache: 'credentials', result: 'miss' }],
    ];
    const run = [{ client: 'local', tgt: 'minion-1', fun: 'test.ping', username: 'saltdev', password: 'saltdev', eauth: 'pam' }];
    const added = await delta(async () => {
      await h.http.get('/minions').set('X-Auth-Token', fresh).expect(200);
      await h.http.get('/minions').set('X-Auth-Token', 'cd'.repeat(32)).expect(401);
      await h.http.post('/run').send(run).expect(200);
      await h.http.post('/run').send(run).expect(200);
    }, series);
    expect(added).to.deep.equal([1, 1, 1, 1]);
  });

  it('shows the master connection pool in use while a request waits for the master', async () => {
    const idle = await scrape();
    expect(valueOf(idle, 'saltapi_master_pool_size')).to.equal(h.settings.api.master_pool_size);
    expect(valueOf(idle, 'saltapi_master_pool_in_use')).to.equal(0);
    h.sandbox.setReplyDelay(0.5);
    try {
      const asked = h.sandbox.requests.length;
      const slow = h.http.post('/login').send(CREDENTIALS).then((res) => res.status);
      await waitUntil('the login reached the master', () => h.sandbox.requests.slice(asked).some((load) => load.cmd === 'mk_token'));
      const busy = await scrape();
      expect(valueOf(busy, 'saltapi_master_pool_in_use')).to.equal(1);
      expect(valueOf(busy, 'saltapi_http_requests_in_flight')).to.equal(2);
      expect(await slow).to.equal(200);
    } finally {
      h.sandbox.setReplyDelay(0);
    }
    expect(valueOf(await scrape(), 'saltapi_master_pool_in_use')).to.equal(0);
  });

  it('shows event-stream clients by kind while connected, and counts the events they get', async () => {
    const tag = 'salt-api-koa/test/metrics';
    const sse = await openSse(h.url, `/events?tag=${encodeURIComponent(tag)}`, { 'X-Auth-Token': token });
    const socket = new WebSocket(`${h.url.replace(/^http/, 'ws')}/ws/${token}`);
    try {
      expect(sse.status).to.equal(200);
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      await waitUntil('both clients are counted', async () => {
        const now = await scrape();
        return valueOf(now, 'saltapi_event_stream_clients', { kind: 'sse' }) === 1 && valueOf(now, 'saltapi_event_stream_clients', { kind: 'ws' }) === 1;
      });
      const before = await scrape();
      h.sandbox.fireEvent(tag, { n: 1 });
      await sse.waitFor((text) => text.includes(`tag: ${tag}\n`));
      const after = await scrape();
      // The WebSocket client has not said `websocket client ready`: only the SSE client gets it.
      expect(valueOf(after, 'saltapi_event_stream_events_total') - valueOf(before, 'saltapi_event_stream_events_total')).to.equal(1);
    } finally {
      sse.close();
      socket.close();
    }
    await waitUntil('the clients are gone', async () => valueOf(await scrape(), 'saltapi_event_stream_clients') === 0);
  });

  it('counts the streams the server cuts off, by kind and reason', async function () {
    this.timeout(15_000);
    const doomed = await login(h);
    const before = await scrape();
    const sse = await openSse(h.url, '/events', { 'X-Auth-Token': doomed });
    const socket = new WebSocket(`${h.url.replace(/^http/, 'ws')}/ws/${doomed}`);
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    await h.http.post('/logout').set('X-Auth-Token', doomed).expect(200);
    await sse.ended;
    expect(await closed).to.equal(1008);
    const after = await scrape();
    const added = (labels: Record<string, string>) => valueOf(after, 'saltapi_event_stream_cutoffs_total', labels) - valueOf(before, 'saltapi_event_stream_cutoffs_total', labels);
    expect(added({ kind: 'sse', reason: 'revoked' })).to.equal(1);
    expect(added({ kind: 'ws', reason: 'revoked' })).to.equal(1);
    // The SSE request was answered (its body then flowed) under its own route.
    expect(valueOf(after, 'saltapi_http_requests_total', { route: '/events', method: 'GET', status: '200' }) - valueOf(before, 'saltapi_http_requests_total', { route: '/events', method: 'GET', status: '200' })).to.equal(1);
  });

  it('passes promtool check metrics (format and naming)', async function () {
    if (PROMTOOL === undefined) this.skip();
    const res = await h.http.get('/metrics').expect(200);
    const check = await promtoolCheck(PROMTOOL, res.text);
    expect(check.output).to.equal('');
    expect(check.code).to.equal(0);
    // Names are linted from the HELP and TYPE lines, which every metric has, counted in or not.
    const own = [...parseScrape(res.text).types.keys()].filter((family) => family.startsWith('saltapi_'));
    expect(own.sort()).to.deep.equal([
      'saltapi_event_bus_connected', 'saltapi_event_bus_reconnects_total', 'saltapi_event_stream_clients',
      'saltapi_event_stream_cutoffs_total', 'saltapi_event_stream_events_total', 'saltapi_http_request_duration_seconds',
      'saltapi_http_requests_in_flight', 'saltapi_http_requests_total', 'saltapi_logins_total',
      'saltapi_master_pool_in_use', 'saltapi_master_pool_size', 'saltapi_master_pool_waiting',
      'saltapi_master_request_duration_seconds', 'saltapi_master_requests_total', 'saltapi_netapi_jobs_total',
      'saltapi_processes', 'saltapi_token_cache_lookups_total',
    ]);
  });
});

describe('GET /metrics: route labels of what no route answers', () => {
  let h: Harness;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-static-'));
    writeFileSync(path.join(dir, 'a.txt'), 'a');
    writeFileSync(path.join(dir, 'favicon.ico'), 'icon');
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>app</title>');
    const api = { metrics_disable_auth: true, static: dir, favicon: path.join(dir, 'favicon.ico'), app: path.join(dir, 'index.html'), root_prefix: '/api' };
    h = await startHarness({ api });
  });
  after(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('labels files, the app page, the favicon and the rest with fixed words, routes with their prefixed template', async () => {
    await h.http.get('/api/static/a.txt').expect(200);
    await h.http.get(`/api/static/${Math.random().toString(36).slice(2)}.txt`).expect(404);
    await h.http.get('/api/favicon.ico').expect(200);
    await h.http.get('/api/app').set('Accept', 'text/html').expect(200);
    await h.http.get('/api/minions/minion-1').expect(401);
    await h.http.get('/elsewhere').expect(404);
    const scraped = parseScrape((await h.http.get('/api/metrics').expect(200)).text);
    const count = (route: string, status: string) => valueOf(scraped, 'saltapi_http_requests_total', { route, status });
    expect(count('static', '200')).to.equal(1);
    expect(count('static', '404')).to.equal(1);
    expect(count('favicon', '200')).to.equal(1);
    expect(count('app', '200')).to.equal(1);
    expect(count('/api/minions/:mid', '401')).to.equal(1);
    expect(count('unmatched', '404')).to.equal(1);
    const routes = new Set(scraped.samples.filter((sample) => sample.name === 'saltapi_http_requests_total').map((sample) => sample.labels.route));
    expect(routes).to.deep.equal(new Set(['static', 'favicon', 'app', '/api/minions/:mid', 'unmatched']));
  });
});

/** Metric names in a PromQL expression: identifiers that are no function, keyword, label or grouping. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const keywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless']);
  return [...stripped.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)]
    .filter((match) => match[2] === undefined && !keywords.has(match[1] as string))
    .map((match) => match[1] as string);
}

interface Panel {
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** The PromQL of every panel, rows' panels included. */
function panelExpressions(panels: Panel[]): string[] {
  return panels.flatMap((panel) => [...(panel.targets ?? []).flatMap((target) => (target.expr ? [target.expr] : [])), ...panelExpressions(panel.panels ?? [])]);
}

describe('examples/grafana/salt-api-koa.json', () => {
  let h: Harness;
  let exported: Set<string>;
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[]; templating: { list: { query?: { query?: string } }[] }; __inputs: { name: string }[] };
  const exprs = panelExpressions(dashboard.panels);
  const variableQueries = dashboard.templating.list.map((variable) => variable.query?.query ?? '').filter(Boolean);

  before(async () => {
    h = await startHarness({ api: { metrics_disable_auth: true } });
    const token = await login(h);
    await h.http.get('/minions').set('X-Auth-Token', token).expect(200);
    // A labelled metric nothing was counted in yet has no sample, only its HELP and TYPE lines.
    const scraped = parseScrape((await h.http.get('/metrics').expect(200)).text);
    exported = new Set(scraped.samples.map((sample) => sample.name));
    for (const [family, type] of scraped.types) {
      exported.add(family);
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(`${family}${suffix}`);
    }
  });
  after(async () => {
    await h?.close();
  });

  it('takes its Prometheus data source as an input', () => {
    expect(dashboard.__inputs.map((input) => input.name)).to.deep.equal(['DS_PROMETHEUS']);
    expect(JSON.stringify(dashboard.panels)).to.include('"uid":"${DS_PROMETHEUS}"');
  });

  it('queries only metrics the API exports', () => {
    expect(exprs.length).to.be.above(20);
    const names = new Set([...exprs, ...variableQueries.map((query) => query.replace(/^label_values\(([^,)]+).*$/, '$1'))].flatMap(metricNames));
    expect(names.size).to.be.above(15);
    for (const name of names) expect(exported.has(name), `${name} is not exported`).to.equal(true);
  });

  it('has PromQL that Prometheus parses (promtool check rules)', async function () {
    if (PROMTOOL === undefined) this.skip();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-dashboard-'));
    try {
      const rules = exprs.map((expr, index) => ({
        record: `dashboard:expr_${index}`,
        expr: expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.+'),
      }));
      const file = path.join(dir, 'rules.yaml');
      writeFileSync(file, dump({ groups: [{ name: 'dashboard', rules }] }));
      const checked = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
        const child = spawn(PROMTOOL, ['check', 'rules', file], { stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, output }));
      });
      expect(checked.code, checked.output).to.equal(0);
      expect(checked.output).to.include(`SUCCESS: ${rules.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Titles carry the reason, so pending tests say why they did not run.
if (PROMTOOL === undefined) describe(`promtool checks — PENDING: ${NO_PROMTOOL}`, () => it('needs promtool'));

interface QueryAnswer {
  status: string;
  error?: string;
  data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

describe(PROMETHEUS ? 'a real Prometheus scraping /metrics' : `a real Prometheus scraping /metrics — PENDING: ${NO_PROMETHEUS}`, function () {
  this.timeout(60_000);
  let h: Harness;
  let dir: string;
  let prometheus: ChildProcess | undefined;
  let output = '';
  let api: string;
  const query = async (promql: string): Promise<QueryAnswer> => {
    const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
    return (await res.json()) as QueryAnswer;
  };
  const scalar = async (promql: string): Promise<number | undefined> => {
    const answer = await query(promql);
    const value = answer.data?.result[0]?.value[1];
    return value === undefined ? undefined : Number(value);
  };

  before(async function () {
    if (PROMETHEUS === undefined) this.skip();
    h = await startHarness();
    const token = await login(h);
    dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-prometheus-'));
    writeFileSync(path.join(dir, 'token'), token);
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      scrape_configs: [
        {
          job_name: 'salt-api',
          metrics_path: '/metrics',
          static_configs: [{ targets: [new URL(h.url).host] }],
          authorization: { type: 'Bearer', credentials_file: path.join(dir, 'token') },
        },
      ],
    };
    writeFileSync(path.join(dir, 'prometheus.yml'), dump(config));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    prometheus.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitUntil('Prometheus has scraped the API twice', async () => {
        try {
          return ((await scalar('count_over_time(up{job="salt-api"}[1m])')) ?? 0) >= 2;
        } catch {
          return false;
        }
      }, 30_000);
    } catch (error) {
      throw new Error(`${(error as Error).message}; Prometheus said:\n${output}`, { cause: error });
    }
  });
  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes it with its own Accept header and the token in Authorization: Bearer', async () => {
    expect(await scalar('up{job="salt-api"}')).to.equal(1);
    expect(await scalar('saltapi_processes{job="salt-api"}')).to.equal(1);
    expect(await scalar('sum(saltapi_http_requests_total{job="salt-api", route="/metrics", status="200"})')).to.be.at.least(1);
    expect(await scalar('saltapi_http_requests_total{job="salt-api", route="/metrics", status="401"}')).to.equal(undefined);
  });

  it('evaluates every query of the Grafana dashboard without an error', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
    for (const expr of panelExpressions(dashboard.panels)) {
      const answer = await query(expr.replaceAll('$__rate_interval', '1m').replaceAll('$instance', '.+'));
      expect(answer.status, `${expr}: ${answer.error ?? ''}`).to.equal('success');
    }
    // Series the API has had from its first scrape are there.
    expect(await scalar('min(saltapi_event_bus_connected{instance=~".+"})')).to.equal(1);
    expect(await scalar('sum(nodejs_heap_size_used_bytes{instance=~".+"})')).to.be.above(0);
  });
});

describe('GET /metrics with workers: 2', function () {
  this.timeout(60_000);
  let dir: string;
  let sandbox: WatchedProcess;
  let cli: WatchedProcess;
  let url: string;
  const READY = /worker \d+ ready \(pid (\d+)\)/g;
  const readyPids = () => [...cli.stderr.matchAll(READY)].map((match) => Number(match[1]));
  const scrape = async (): Promise<Scrape> =>
    parseScrape((await request(url).get('/metrics').set('Connection', 'close').set('Accept', PROMETHEUS_ACCEPT).expect(200)).text);

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-metrics-'));
    const sandboxConfig = path.join(dir, 'sandbox.yaml');
    sandbox = startSandboxProcess(sandboxConfig);
    await waitFor('the sandbox master', () => (existsSync(sandboxConfig) ? true : undefined));
    const config = load(readFileSync(sandboxConfig, 'utf8')) as Record<string, unknown>;
    config.rest_koa = { ...(config.rest_koa as Record<string, unknown>), host: '127.0.0.1', port: 0, workers: 2, metrics_disable_auth: true };
    writeFileSync(path.join(dir, 'master'), dump(config));
    cli = startCli(dir);
    url = await cli.listening();
  });
  after(async () => {
    await cli?.stop();
    await sandbox?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers one scrape with both workers\' series, each labelled with its worker', async () => {
    const requests = 20;
    // A fresh connection each: the primary hands connections to the workers in turn.
    for (let i = 0; i < requests; i++) await request(url).get('/').set('Connection', 'close').expect(200);
    const res = await request(url).get('/metrics').set('Connection', 'close').set('Accept', PROMETHEUS_ACCEPT).expect(200);
    expect(res.headers['content-type']).to.equal(TEXT_FORMAT);
    const scraped = parseScrape(res.text);
    const root = { route: '/', method: 'GET', status: '200' };
    const perWorker = ['0', '1'].map((worker) => valueOf(scraped, 'saltapi_http_requests_total', { ...root, worker }));
    // Both served some, and together all of them.
    for (const served of perWorker) expect(served).to.be.above(0);
    expect(perWorker[0]! + perWorker[1]!).to.equal(requests);
    expect(valueOf(scraped, 'saltapi_http_request_duration_seconds_count', { route: '/', method: 'GET' })).to.equal(requests);
    for (const worker of ['0', '1']) {
      expect(valueOf(scraped, 'saltapi_processes', { worker }), worker).to.equal(1);
      expect(valueOf(scraped, 'saltapi_event_bus_connected', { worker }), worker).to.equal(1);
      expect(valueOf(scraped, 'saltapi_master_pool_size', { worker }), worker).to.equal(32);
      expect(hasSeries(scraped, 'nodejs_heap_size_used_bytes', { worker }), worker).to.equal(true);
    }
    expect(new Set(scraped.samples.map((sample) => sample.labels.worker))).to.deep.equal(new Set(['0', '1']));
    if (PROMTOOL !== undefined) {
      const check = await promtoolCheck(PROMTOOL, res.text);
      expect(check.output).to.equal('');
      expect(check.code).to.equal(0);
    }
  });

  it('counts the scrapes themselves on whichever worker answered them', async () => {
    const before = valueOf(await scrape(), 'saltapi_http_requests_total', { route: '/metrics' });
    await scrape();
    expect(valueOf(await scrape(), 'saltapi_http_requests_total', { route: '/metrics' }) - before).to.equal(2);
  });

  it('gives a replacement worker the label of the one it replaces, its counters from zero', async () => {
    for (let i = 0; i < 4; i++) await request(url).get('/').set('Connection', 'close').expect(200);
    const before = await scrape();
    const [victim] = readyPids() as [number];
    process.kill(victim, 'SIGKILL');
    const delay = Number(await waitFor('the replacement to be scheduled', () => /starting a new worker in (\d+) ms/.exec(cli.stderr)?.[1]));
    await new Promise((resolve) => setTimeout(resolve, delay + 20));
    // The replacement is starting: the scrape is answered by the survivor alone, not held up.
    const meanwhile = await scrape();
    if (readyPids().length === 2) expect(valueOf(meanwhile, 'saltapi_processes')).to.equal(1);
    await waitFor('a replacement', () => readyPids()[2]);
    let after = await scrape();
    await waitUntil('both workers answer the scrape', async () => valueOf((after = await scrape()), 'saltapi_processes') === 2, 10_000);
    expect(new Set(after.samples.map((sample) => sample.labels.worker))).to.deep.equal(new Set(['0', '1']));
    const roots = (scraped: Scrape) => ['0', '1'].map((worker) => valueOf(scraped, 'saltapi_http_requests_total', { route: '/', worker }));
    // One worker's count is as it was, the replacement's starts again (it has served no GET /).
    expect(roots(after)).to.include(0);
    expect(roots(after).filter((count) => count > 0)).to.have.length(1);
    expect(roots(before).filter((count) => count > 0)).to.have.length(2);
  });
});
