/**
 * examples/html-form in Debian's Chromium: a page with no JavaScript, served by the API's `static`
 * option, logs in with a form, runs a command with the session cookie and another with credentials,
 * and the browser shows each JSON answer.
 */
import path from 'node:path';
import { expect } from 'chai';
import { CHROMIUM_MISSING, haveChromium, launchChromium, type Browser } from './support/browser.js';
import { startHarness, type Harness } from './support/harness.js';
import { projectRoot } from './support/paths.js';

describe(haveChromium() ? 'examples/html-form in Chromium' : `examples/html-form in Chromium — PENDING: ${CHROMIUM_MISSING}`, function () {
  this.timeout(60_000);
  let h: Harness;
  let browser: Browser;

  before(async function () {
    if (!haveChromium()) this.skip();
    h = await startHarness({ api: { static: path.join(projectRoot, 'examples/html-form') } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  const form = () => `${h.url}/static/index.html`;
  const shown = async () => JSON.parse((await browser.page.textContent('body')) ?? '') as unknown;

  it('logs in, runs test.ping with the session cookie, then with credentials', async () => {
    const { page } = browser;
    await page.goto(form());
    await page.fill('form[action="../login"] [name=username]', 'saltdev');
    await page.fill('form[action="../login"] [name=password]', 'saltdev');
    await page.fill('form[action="../login"] [name=eauth]', 'auto');
    await Promise.all([page.waitForNavigation(), page.click('#login')]);
    expect(await shown()).to.have.nested.property('return[0].user', 'saltdev');

    await page.goto(form());
    await Promise.all([page.waitForNavigation(), page.click('#run')]);
    expect(await shown()).to.deep.equal({ return: [{ 'minion-1': true, 'minion-2': true }] });

    await page.goto(form());
    await page.fill('form[action="../run"] [name=username]', 'saltdev');
    await page.fill('form[action="../run"] [name=password]', 'saltdev');
    await page.fill('form[action="../run"] [name=eauth]', 'auto');
    await page.fill('form[action="../run"] [name=tgt]', 'minion-1');
    await Promise.all([page.waitForNavigation(), page.click('#run-with-credentials')]);
    expect(await shown()).to.deep.equal({ return: [{ 'minion-1': true }] });
  });

  it('refuses the session form from another origin of the same site (another port)', async () => {
    const { page } = browser;
    // The same page served by a second API on another port: its form posts to the first one.
    const other = await startHarness({ api: { static: path.join(projectRoot, 'examples/html-form') } });
    try {
      await page.goto(`${other.url}/static/index.html`);
      await page.evaluate((target) => document.querySelector('form[action="../"]')!.setAttribute('action', target), `${h.url}/`);
      await Promise.all([page.waitForNavigation(), page.click('#run')]);
      expect(await shown()).to.deep.include({ status: 403 });
    } finally {
      await other.close();
    }
  });
});
