/**
 * Issue 13's operations features against the real master: /readyz pings its request server,
 * /metrics counts real round trips and passes promtool, the audit trail records the jid the master
 * gave, and auth_throttle answers 429 without asking the master's eauth.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parseScrape, promtoolCheck, valueOf, type Scrape } from '../../support/promText.js';
import { findOnPath } from '../../support/pepper.js';
import type { ReleaseFixture } from '../fixture.js';
import { type Agent, type Json, eventually, firstReturn, get, postLogin, run } from '../http.js';
import { EAUTH_PASSWORD, EAUTH_USER, SHARED_SECRET } from '../saltMaster.js';

const PROMTOOL = findOnPath('promtool');

async function scrape(http: Agent, token: string): Promise<Scrape> {
  return parseScrape((await get(http, token, '/metrics').expect(200)).text);
}

/** The audit file's lines once it holds `count` of them (lines are written asynchronously). */
async function auditLines(file: string, count: number): Promise<Json[]> {
  return eventually(`${count} audit lines in ${file}`, async () => {
    const text = await readFile(file, 'utf8').catch(() => '');
    const lines = text.split('\n').filter((line) => line !== '');
    return lines.length >= count ? lines.map((line) => JSON.parse(line) as Json) : undefined;
  });
}

export function operationsTests(fx: ReleaseFixture): void {
  describe('operations', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'salt-api-koa-real-ops-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('GET /readyz: 200, the master answers a ping and its event bus is connected; GET /healthz: 200', async () => {
      const ready = await fx.api.http.get('/readyz').expect(200).expect('Content-Type', /application\/json/);
      expect(ready.body).to.deep.equal({ status: 'ready', request_server: 'answering', event_bus: 'connected' });
      const health = await fx.api.http.get('/healthz').expect(200);
      expect(health.body).to.deep.equal({ status: 'ok' });
    });

    it('GET /metrics counts a real login and job, and the master round trips they took', async () => {
      const token = fx.token;
      const before = await scrape(fx.api.http, token);
      const publishes = valueOf(before, 'saltapi_master_requests_total', { cmd: 'publish', outcome: 'ok' });
      const jobs = valueOf(before, 'saltapi_netapi_jobs_total', { client: 'local', outcome: 'ok' });
      await run(fx.api.http, token, [{ client: 'local', tgt: '*', fun: 'test.ping' }]).expect(200);
      const after = await scrape(fx.api.http, token);
      expect(valueOf(after, 'saltapi_master_requests_total', { cmd: 'publish', outcome: 'ok' })).to.equal(publishes + 1);
      expect(valueOf(after, 'saltapi_netapi_jobs_total', { client: 'local', outcome: 'ok' })).to.equal(jobs + 1);
      expect(valueOf(after, 'saltapi_logins_total', { eauth: 'auto', outcome: 'success' })).to.be.at.least(1);
      expect(valueOf(after, 'saltapi_master_request_duration_seconds_count', { cmd: 'mk_token' })).to.be.at.least(1);
      expect(valueOf(after, 'saltapi_event_bus_connected')).to.equal(1);
    });

    it('GET /metrics after real traffic passes promtool check metrics', async function () {
      if (PROMTOOL === undefined) this.skip();
      const res = await get(fx.api.http, fx.token, '/metrics').expect(200);
      const check = await promtoolCheck(PROMTOOL, res.text);
      expect(check.output).to.equal('');
      expect(check.code).to.equal(0);
    });

    it('the audit trail records a refused and a good login and a job with the jid the master gave, and no secret', async () => {
      const file = path.join(dir, 'audit.log');
      const api = await fx.api.startAnotherServer({ audit_log_file: file });
      try {
        await postLogin(api.http, EAUTH_USER, `${SHARED_SECRET}-wrong`, 'sharedsecret').expect(401);
        const login = await postLogin(api.http, EAUTH_USER, EAUTH_PASSWORD, 'auto').expect(200);
        const token = firstReturn<{ token: string }>(login).token;
        const job = await run(api.http, token, [{ client: 'local_async', tgt: '*', fun: 'test.ping' }]).expect(200);
        const { jid } = firstReturn<{ jid: string }>(job);
        const [refused, accepted, command] = await auditLines(file, 3);
        expect(refused).to.include({ type: 'login', user: EAUTH_USER, eauth: 'sharedsecret', status: 'failure', client: '127.0.0.1' });
        expect(accepted).to.include({ type: 'login', user: EAUTH_USER, eauth: 'auto', status: 'success' });
        expect(command).to.include({ type: 'command', user: EAUTH_USER, eauth: 'auto', netapi_client: 'local_async', fun: 'test.ping', tgt: '*', tgt_type: 'glob', jid, status: 'success' });
        const text = await readFile(file, 'utf8');
        for (const secret of [SHARED_SECRET, token]) expect(text).to.not.include(secret);
      } finally {
        await api.close();
      }
    });

    it('auth_throttle: past the limit a wrong password gets 429 with Retry-After, and the master is not asked', async () => {
      const limit = 2;
      const api = await fx.api.startAnotherServer({
        auth_throttle: { enabled: true, max_failures_per_ip: 100, max_failures_per_user_ip: limit, max_failures_per_user: 0, window: 60, block: 60 },
      });
      try {
        const wrong = () => postLogin(api.http, EAUTH_USER, `${SHARED_SECRET}-wrong`, 'sharedsecret');
        for (let i = 0; i < limit; i++) await wrong().expect(401);
        const token = firstReturn<{ token: string }>(await postLogin(api.http, 'someone-else', 'x', 'auto').expect(200)).token;
        const asked = valueOf(await scrape(api.http, token), 'saltapi_master_requests_total', { cmd: 'mk_token', outcome: 'ok' });
        const throttled = await wrong().expect(429);
        expect(Number(throttled.headers['retry-after'])).to.be.within(1, 60);
        expect(throttled.body).to.deep.equal({ status: 429, return: `Too many failed authentication attempts; try again in ${throttled.headers['retry-after']} seconds` });
        expect(valueOf(await scrape(api.http, token), 'saltapi_master_requests_total', { cmd: 'mk_token', outcome: 'ok' })).to.equal(asked);
      } finally {
        await api.close();
      }
    });
  });
}
