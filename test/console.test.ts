/**
 * The built-in console: how its files are served, and the page itself driven end to end in
 * Debian's Chromium (playwright-core): log in, minions, a command, its live events, the job,
 * log out.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { login, startHarness, type Harness } from './support/harness.js';
import { CHROMIUM_MISSING, haveChromium, launchChromium, type Browser } from './support/browser.js';
import { projectRoot } from './support/paths.js';
import { rawRequest } from './support/raw.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const HTML = 'text/html; charset=utf-8';

describe('the built-in console: its files', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('serves the page at app_path and every path below it, with a restrictive CSP', async () => {
    for (const url of ['/app', '/app/', '/app/jobs/20240101000000000000', '/app/index.html']) {
      const res = await h.http.get(url).expect(200);
      expect(res.headers['content-type'], url).to.equal(HTML);
      expect(res.headers['content-security-policy'], url).to.include("script-src 'self'").and.include("default-src 'none'");
      expect(res.headers['x-content-type-options'], url).to.equal('nosniff');
      expect(res.text, url).to.include('<script type="module" src="/app/main.js"></script>');
      expect(res.text, url).to.include('<link rel="stylesheet" href="/app/console.css">');
    }
  });

  it('gives a browser navigating to / the page and every other client the JSON welcome', async () => {
    const page = await h.http.get('/').set('Accept', BROWSER_ACCEPT).set('Sec-Fetch-Mode', 'navigate').expect(200);
    expect(page.headers['content-type']).to.equal(HTML);
    expect(page.text).to.include('src="/app/main.js"');
    for (const accept of ['*/*', 'application/json', 'application/json, text/plain, */*']) {
      const res = await h.http.get('/').set('Accept', accept).expect(200);
      expect(res.body, accept).to.deep.include({ return: 'Welcome' });
    }
    expect((await rawRequest(h.url, '/')).body).to.include('Welcome');
    // Only the root: a browser elsewhere in the API gets the API's answer.
    const minions = await h.http.get('/minions').set('Accept', BROWSER_ACCEPT).set('Sec-Fetch-Mode', 'navigate');
    expect(minions.text).not.to.include('<html');
  });

  it('serves its scripts and stylesheet with their types, and nothing else from disk', async () => {
    const script = await h.http.get('/app/main.js').expect(200);
    expect(script.headers['content-type']).to.equal('text/javascript; charset=utf-8');
    expect(script.text).to.include("from './api.js'");
    const style = await h.http.get('/app/console.css').expect(200);
    expect(style.headers['content-type']).to.equal('text/css; charset=utf-8');
    await h.http.get('/app/missing.js').expect(404);
    for (const attempt of ['/app/../package.json', '/app/%2e%2e/package.json', '/app/..%2fsrc%2fapp.js', '/app/sub/main.js']) {
      const res = await rawRequest(h.url, attempt);
      expect(res.body, attempt).not.to.include('"dependencies"');
      expect(res.body, attempt).not.to.include('import Koa');
    }
  });

  it('tells the page the eauth backends, the enabled clients and the session, never the ACLs', async () => {
    const anonymous = await h.http.get('/app/config.json').expect(200);
    expect(anonymous.headers['cache-control']).to.equal('no-store');
    expect(anonymous.body).to.deep.equal({
      api: '',
      eauth: ['auto', 'sharedsecret', 'pam'],
      clients: ['local', 'local_async', 'local_batch', 'local_subset', 'runner', 'runner_async', 'ssh', 'wheel', 'wheel_async'],
      session: null,
    });
    expect(anonymous.text).not.to.include('@runner');
    expect(anonymous.text).not.to.include('saltdev');
    const token = await login(h);
    const known = await h.http.get('/app/config.json').set('Cookie', `session_id=${token}`).expect(200);
    const session = (known.body as { session: Record<string, unknown> }).session;
    expect(session).to.include({ user: 'saltdev', eauth: 'auto' });
    expect(session.expire).to.be.a('number').above(Date.now() / 1000);
  });

  it('keeps config.json from addresses authorized_ips refuses, not the page', async () => {
    const other = await startHarness({ api: { authorized_ips: ['10.9.9.9'] } });
    try {
      await other.http.get('/app').expect(200);
      await other.http.get('/app/main.js').expect(200);
      const refused = await other.http.get('/app/config.json').expect(403);
      expect(refused.body).to.deep.equal({ status: 403, return: 'Bad IP' });
    } finally {
      await other.close();
    }
  });

  it('answers only GET and HEAD below app_path', async () => {
    const res = await h.http.post('/app/config.json').send({}).expect(405);
    expect(res.headers.allow).to.equal('GET, HEAD');
  });

  it('follows root_prefix and app_path', async () => {
    const other = await startHarness({ api: { root_prefix: '/api', app_path: '/console' } });
    try {
      const page = await other.http.get('/api/console/minions').expect(200);
      expect(page.text).to.include('src="/api/console/main.js"');
      expect(page.text).to.include('href="/api/openapi.json"');
      expect((await other.http.get('/api').set('Accept', BROWSER_ACCEPT).set('Sec-Fetch-Dest', 'document').expect(200)).text).to.equal(page.text);
      expect((await other.http.get('/api/console/config.json').expect(200)).body).to.include({ api: '/api' });
      await other.http.get('/app').expect(404);
      await other.http.get('/').set('Accept', BROWSER_ACCEPT).set('Sec-Fetch-Dest', 'document').expect(404);
    } finally {
      await other.close();
    }
  });
});

describe(haveChromium() ? 'the built-in console in Chromium' : `the built-in console in Chromium — PENDING: ${CHROMIUM_MISSING}`, function () {
  let h: Harness;
  let browser: Browser;
  /** The job the run step started, found through its events. */
  let jid: string;

  before(async function () {
    // The suite's title carries the reason, so the pending tests say why they did not run.
    if (!haveChromium()) this.skip();
    h = await startHarness();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  const page = () => browser.page;
  const leafValue = (scope: string, key: string) => page().locator(`${scope} .leaf[data-key="${key}"] .value`);

  it('shows the login form to a browser at /, offering the eauth backends', async () => {
    await page().goto(`${h.url}/`);
    await page().locator('#login-form').waitFor();
    expect(await page().locator('#login-eauth option').allTextContents()).to.deep.equal(['auto', 'sharedsecret', 'pam']);
    expect(await page().locator('#console-view').isHidden()).to.equal(true);
  });

  it('links to the OpenAPI description of the API in its header', async () => {
    const link = page().locator('header #api-description');
    expect(await link.isVisible()).to.equal(true);
    const href = await link.evaluate((a) => (a as HTMLAnchorElement).href);
    expect(href).to.equal(`${h.url}/openapi.json`);
    const res = await browser.context.request.get(href);
    expect(res.status()).to.equal(200);
    expect(((await res.json()) as { openapi: string }).openapi).to.equal('3.1.0');
  });

  it("shows the API's status and message when a login fails", async () => {
    await page().fill('#login-username', 'saltdev');
    await page().fill('#login-password', 'wrong');
    await page().click('#login-form button[type=submit]');
    await page().locator('#notice').waitFor();
    expect(await page().locator('#notice-text').textContent()).to.equal('POST /login → 401: Could not authenticate using provided credentials');
    expect(await page().locator('#notice').getAttribute('data-status')).to.equal('401');
    // Chromium itself logs every failed response as a console error; that one line is expected here.
    expect(browser.problems).to.deep.equal(['console: Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
    browser.problems.length = 0;
  });

  it('logs in and lists both minions with their key state and grains', async () => {
    await page().fill('#login-password', 'saltdev');
    await page().selectOption('#login-eauth', 'auto');
    await page().click('#login-form button[type=submit]');
    await page().locator('tr[data-minion="minion-2"]').waitFor();
    expect(await page().locator('#notice').isHidden()).to.equal(true);
    expect(await page().locator('#whoami').textContent()).to.equal('saltdev · auto');
    const rows = await page().locator('#minions-rows tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)));
    expect(rows).to.have.length(2);
    for (const [index, row] of rows.entries()) {
      expect(row[0]).to.equal(`minion-${index + 1}`);
      expect(row[1]).to.equal('accepted');
      expect(row[2]).to.equal('Debian 12');
      expect(row[3]).to.match(/^10\.\d+\.\d+\.\d+$/);
      expect(row[4]).to.equal('3007.0');
    }
    await page().locator('#events-state[data-state="live"]').waitFor();
  });

  it('runs test.ping on every minion and shows both answers', async () => {
    // Only job events from here on: the filter goes to the server as `tag`.
    await page().fill('#events-tag', 'salt/job/*');
    await page().click('#events-filter button[type=submit]');
    await page().locator('#events-state[data-state="live"]').waitFor();
    await page().click('[data-tab="run"]');
    await page().selectOption('#run-client', 'local');
    await page().fill('#run-tgt', '*');
    await page().fill('#run-fun', 'test.ping');
    await page().fill('#run-arg', '');
    await page().click('#run-form button[type=submit]');
    await leafValue('#run-result', 'minion-2').waitFor();
    expect(await leafValue('#run-result', 'minion-1').textContent()).to.equal('true');
    expect(await leafValue('#run-result', 'minion-2').textContent()).to.equal('true');
  });

  it("shows the job's events as they arrive, and only those the tag filter lets through", async () => {
    const newEvent = page().locator('#events-list li[data-tag$="/new"]', { has: page().locator('.leaf[data-key="fun"] .value', { hasText: /^test\.ping$/ }) });
    await newEvent.waitFor({ state: 'attached' });
    const tag = (await newEvent.getAttribute('data-tag')) ?? '';
    jid = /^salt\/job\/(\d{20})\/new$/.exec(tag)?.[1] ?? '';
    expect(jid, tag).to.match(/^\d{20}$/);
    for (const minion of ['minion-1', 'minion-2']) {
      await page().locator(`#events-list li[data-tag="salt/job/${jid}/ret/${minion}"]`).waitFor({ state: 'attached' });
    }
    const tags = await page().locator('#events-list li').evaluateAll((items) => items.map((item) => item.getAttribute('data-tag')));
    expect(tags.every((each) => each?.startsWith('salt/job/')), tags.join(', ')).to.equal(true);
    await mkdir(path.join(projectRoot, 'test-artifacts'), { recursive: true });
    await page().screenshot({ path: path.join(projectRoot, 'test-artifacts', 'console.png') });
  });

  it('opens the job from the jobs list', async () => {
    await page().click('[data-tab="jobs"]');
    await page().locator(`#jobs-rows tr[data-jid="${jid}"] button`).click();
    await page().locator(`#job-detail[data-jid="${jid}"]`).waitFor();
    expect(await page().locator('#job-detail dd').first().textContent()).to.equal('test.ping');
    expect(await leafValue('#job-detail', 'minion-1').textContent()).to.equal('true');
    expect(await leafValue('#job-detail', 'minion-2').textContent()).to.equal('true');
  });

  it('passes arguments as on the salt command line: quotes group words, name=value is a keyword', async () => {
    await page().click('[data-tab="run"]');
    await page().fill('#run-tgt', 'minion-1');
    await page().fill('#run-fun', 'test.arg');
    await page().fill('#run-arg', '"hello world" count=3');
    await page().click('#run-form button[type=submit]');
    const minion = '#run-result details[data-key="minion-1"]';
    await page().locator(minion).waitFor();
    expect(await leafValue(`${minion} details[data-key="args"]`, '0').textContent()).to.equal('hello world');
    expect(await page().locator(`${minion} details[data-key="args"] .leaf`).count()).to.equal(1);
    expect(await leafValue(`${minion} details[data-key="kwargs"]`, 'count').textContent()).to.equal('3');
    expect(await page().locator('#run-result details[data-key="minion-2"]').count()).to.equal(0);
  });

  it('logs out, after which the session is refused', async () => {
    const cookie = (await browser.context.cookies(h.url)).find((each) => each.name === 'session_id');
    const token = cookie?.value ?? '';
    expect(token).to.match(/^[0-9a-f]{64}$/);
    await page().click('#logout');
    await page().locator('#login-form').waitFor();
    expect(await page().locator('#console-view').isHidden()).to.equal(true);
    expect(await page().locator('#events-state').getAttribute('data-state')).to.equal('off');
    // Nothing the session showed stays on the page.
    expect(await page().locator('#events-list li, #minions-rows tr, #jobs-rows tr').count()).to.equal(0);
    expect(await page().locator('#run-result').textContent()).to.equal('');
    expect(await page().locator('#job-detail').textContent()).to.equal('');
    expect((await browser.context.cookies(h.url)).map((each) => each.name)).not.to.include('session_id');
    // The browser's own request context shares its cookies: it is refused now.
    const minions = await browser.context.request.get(`${h.url}/minions`, { headers: { Accept: 'application/json' } });
    expect(minions.status()).to.equal(401);
    // And the token the cookie held is dead, not merely forgotten by the browser.
    await h.http.get('/minions').set('X-Auth-Token', token).expect(401);
    await page().reload();
    await page().locator('#login-form').waitFor();
  });

  it('produced no console errors and no page errors', () => {
    expect(browser.problems).to.deep.equal([]);
  });
});
