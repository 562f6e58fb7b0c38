/** `static` under static_path, `app` at app_path (+ html_override), `favicon`, and root_prefix. */
import { expect } from 'chai';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHarness, type Harness } from './support/harness.js';
import { rawRequest } from './support/raw.js';

const PAGE = '<!doctype html><title>salt console</title>';
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const SECRET = 'do-not-serve-me';

interface Site {
  root: string;
  staticDir: string;
  app: string;
  favicon: string;
}

/** static/ with a few files, and secrets next to it that traversal would reach. */
function makeSite(): Site {
  const root = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-static-'));
  const staticDir = path.join(root, 'static');
  mkdirSync(path.join(staticDir, 'sub', 'dir'), { recursive: true });
  writeFileSync(path.join(staticDir, 'style.css'), 'body { color: red }');
  writeFileSync(path.join(staticDir, 'app.js'), 'console.log(1);');
  writeFileSync(path.join(staticDir, 'index.html'), '<p>index</p>');
  writeFileSync(path.join(staticDir, 'sub', 'dir', 'file.txt'), 'deep');
  writeFileSync(path.join(staticDir, '.hidden'), SECRET);
  writeFileSync(path.join(root, 'secret.txt'), SECRET);
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: SECRET }));
  const app = path.join(root, 'app.html');
  writeFileSync(app, PAGE);
  const favicon = path.join(root, 'favicon.ico');
  writeFileSync(favicon, Buffer.from([0, 0, 1, 0]));
  return { root, staticDir, app, favicon };
}

describe('static files, the app page and the favicon', () => {
  let site: Site;
  let h: Harness;
  before(async () => {
    site = makeSite();
    h = await startHarness({ api: { static: site.staticDir, app: site.app, favicon: site.favicon } });
  });
  after(async () => {
    await h.close();
    rmSync(site.root, { recursive: true, force: true });
  });

  describe('static', () => {
    it('answers a missing file 404 whatever the Accept header says (SaltGUI asks with text/plain)', async () => {
      for (const accept of ['text/plain', 'text/css', 'image/png', 'application/json']) {
        const res = await h.http.get('/static/minions.txt').set('Accept', accept);
        expect(res.status, accept).to.equal(404);
        expect(res.headers['content-type'], accept).to.equal('application/json');
        expect(JSON.parse(res.text), accept).to.deep.equal({ status: 404, return: "The path '/static/minions.txt' was not found." });
      }
    });

    it('serves files with their Content-Type, without a session', async () => {
      const css = await h.http.get('/static/style.css').expect(200);
      expect(css.headers['content-type']).to.equal('text/css; charset=utf-8');
      expect(css.text).to.equal('body { color: red }');
      const js = await h.http.get('/static/app.js').expect(200);
      expect(js.headers['content-type']).to.match(/^(text|application)\/javascript; charset=utf-8$/);
      const deep = await h.http.get('/static/sub/dir/file.txt').expect(200);
      expect(deep.headers['content-type']).to.equal('text/plain; charset=utf-8');
      expect(deep.text).to.equal('deep');
    });

    it('answers HEAD with the headers only', async () => {
      const res = await rawRequest(h.url, '/static/style.css', { method: 'HEAD' });
      expect(res.status).to.equal(200);
      expect(res.headers['content-length']).to.equal('19');
      expect(res.body).to.equal('');
    });

    it('lists no directory and serves no index page', async () => {
      for (const url of ['/static', '/static/', '/static/sub', '/static/sub/']) {
        const res = await h.http.get(url);
        expect(res.status, url).to.equal(404);
        expect(res.text, url).not.to.include('index');
      }
    });

    it('does not serve dotfiles', async () => {
      const res = await h.http.get('/static/.hidden').expect(404);
      expect(res.text).not.to.include(SECRET);
    });

    it('answers 404 in the API format for a missing file', async () => {
      const res = await h.http.get('/static/missing.css').expect(404);
      expect(res.body).to.deep.equal({ status: 404, return: "The path '/static/missing.css' was not found." });
    });

    it('refuses every traversal attempt with a plain 404', async () => {
      const attempts = [
        '/static/../package.json',
        '/static/../secret.txt',
        '/static/%2e%2e/package.json',
        '/static/%2E%2E/secret.txt',
        '/static/..%2fsecret.txt',
        '/static/%2e%2e%2fpackage.json',
        '/static/sub/../../secret.txt',
        '/static/sub/%2e%2e/%2e%2e/secret.txt',
        '/static/..%5csecret.txt',
        '/static/%252e%252e/secret.txt',
        '/static/style.css%00.txt',
        '/static/%c0%ae%c0%ae/secret.txt',
        '/static//etc/passwd',
        `/static/${encodeURIComponent(path.join(site.root, 'secret.txt'))}`,
      ];
      for (const attempt of attempts) {
        const res = await rawRequest(h.url, attempt);
        expect(res.status, attempt).to.equal(404);
        expect(res.body, attempt).not.to.include(SECRET);
        expect(res.body, attempt).not.to.include('root:');
      }
    });

    it('serves only GET and HEAD', async () => {
      const res = await h.http.post('/static/style.css').send('x');
      // Static files answer GET and HEAD only; a POST finds no route.
      expect(res.status).to.equal(404);
      expect(res.text).not.to.include('color');
    });
  });

  describe('app', () => {
    it('serves the app file at app_path and every path below it', async () => {
      for (const url of ['/app', '/app/', '/app/minions/minion-1', '/app/a/b/c?x=1']) {
        const res = await h.http.get(url).expect(200);
        expect(res.headers['content-type'], url).to.equal('text/html; charset=utf-8');
        expect(res.text, url).to.equal(PAGE);
      }
    });

    it('does not take over paths that only start like app_path', async () => {
      await h.http.get('/application').expect(404);
    });

    it('answers other methods on app_path with 405', async () => {
      const res = await h.http.post('/app').send({}).expect(405);
      expect(res.headers.allow).to.equal('GET, HEAD');
    });

    it('gives a browser navigation anywhere in the API the app page (html_override)', async () => {
      for (const url of ['/', '/minions', '/jobs/20240101000000000000', '/login', '/nowhere']) {
        const res = await h.http.get(url).set('Accept', BROWSER_ACCEPT).expect(200);
        expect(res.text, url).to.equal(PAGE);
      }
    });

    it('leaves API clients alone, including ones accepting */*', async () => {
      for (const accept of ['*/*', 'application/json', 'application/json, text/plain, */*', 'text/html;q=0, application/json']) {
        const res = await h.http.get('/').set('Accept', accept).expect(200);
        expect(res.text, accept).not.to.equal(PAGE);
        expect(res.body, accept).to.deep.include({ return: 'Welcome' });
      }
      const bare = await rawRequest(h.url, '/');
      expect(bare.body).to.include('Welcome');
    });

    it('leaves static files, event streams and non-GET requests alone', async () => {
      const css = await h.http.get('/static/style.css').set('Accept', BROWSER_ACCEPT).expect(200);
      expect(css.text).to.equal('body { color: red }');
      for (const url of ['/events', '/ws']) {
        const res = await h.http.get(url).set('Accept', BROWSER_ACCEPT);
        expect(res.text, url).not.to.equal(PAGE);
      }
      const post = await h.http.post('/').set('Accept', BROWSER_ACCEPT).send([]);
      expect(post.text).not.to.equal(PAGE);
    });
  });

  describe('favicon', () => {
    it('serves the favicon file at /favicon.ico', async () => {
      const res = await rawRequest(h.url, '/favicon.ico');
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(/^image\//);
      expect(res.headers['content-length']).to.equal('4');
    });
  });

  describe('without the options', () => {
    let plain: Harness;
    before(async () => {
      plain = await startHarness();
    });
    after(async () => {
      await plain.close();
    });

    it('serves no static files and no favicon, the built-in console at app_path, and overrides nothing', async () => {
      await plain.http.get('/static/style.css').expect(404);
      await plain.http.get('/favicon.ico').expect(404);
      const app = await plain.http.get('/app').expect(200);
      expect(app.text).to.include('<title>Salt console</title>');
      const res = await plain.http.get('/minions').set('Accept', BROWSER_ACCEPT);
      // The session check comes before content negotiation.
      expect(res.status).to.equal(401);
    });

    it('gives the console at / only to a browser navigation, the JSON welcome to clients that list text/html first', async () => {
      // Java's HttpURLConnection sends this Accept by default.
      const java = await plain.http.get('/').set('Accept', 'text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2').expect(200);
      expect(java.body).to.deep.include({ return: 'Welcome' });
      const fetched = await plain.http.get('/').set('Accept', BROWSER_ACCEPT).set('Sec-Fetch-Mode', 'cors').set('Sec-Fetch-Dest', 'empty').expect(200);
      expect(fetched.body).to.deep.include({ return: 'Welcome' });
      for (const [header, value] of [
        ['Sec-Fetch-Mode', 'navigate'],
        ['Sec-Fetch-Dest', 'document'],
      ] as const) {
        const page = await plain.http.get('/').set('Accept', BROWSER_ACCEPT).set(header, value).expect(200);
        expect(page.text, header).to.include('<title>Salt console</title>');
      }
    });
  });
});

describe('root_prefix', () => {
  let site: Site;
  let h: Harness;
  before(async () => {
    site = makeSite();
    h = await startHarness({ api: { root_prefix: '/api/', static: site.staticDir, app: site.app, favicon: site.favicon } });
  });
  after(async () => {
    await h.close();
    rmSync(site.root, { recursive: true, force: true });
  });

  it('mounts the API under the prefix and nothing outside it', async () => {
    for (const url of ['/api', '/api/']) {
      const res = await h.http.get(url).expect(200);
      expect(res.body, url).to.deep.include({ return: 'Welcome' });
    }
    const outside = await h.http.get('/').expect(404);
    expect(outside.body).to.deep.equal({ status: 404, return: "The path '/' was not found." });
    await h.http.get('/login').expect(404);
    const unknown = await h.http.get('/api/nowhere').expect(404);
    expect(unknown.body).to.deep.equal({ status: 404, return: "The path '/api/nowhere' was not found." });
  });

  it('serves static files, the app and the favicon under the prefix', async () => {
    const css = await h.http.get('/api/static/style.css').expect(200);
    expect(css.text).to.equal('body { color: red }');
    await h.http.get('/static/style.css').expect(404);
    expect((await h.http.get('/api/app/some/route').expect(200)).text).to.equal(PAGE);
    await h.http.get('/app').expect(404);
    expect((await rawRequest(h.url, '/api/favicon.ico')).status).to.equal(200);
    expect((await rawRequest(h.url, '/api/static/../package.json')).status).to.equal(404);
  });

  it('overrides browser navigations only inside the prefix', async () => {
    expect((await h.http.get('/api/minions').set('Accept', BROWSER_ACCEPT).expect(200)).text).to.equal(PAGE);
    const outside = await h.http.get('/elsewhere').set('Accept', BROWSER_ACCEPT);
    expect(outside.status).to.equal(404);
  });

  it('logs in under the prefix and puts the prefix into _links', async () => {
    const res = await h.http.post('/api/login').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200);
    const token = String(res.headers['x-auth-token']);
    const minions = await h.http.post('/api/minions').set('X-Auth-Token', token).send([{ tgt: 'minion-1', fun: 'test.ping' }]).expect(202);
    const links = (minions.body as { _links: { jobs: { href: string }[] } })._links.jobs;
    expect(links).to.have.length(1);
    expect(links[0]!.href).to.match(/^\/api\/jobs\/\d{20}$/);
    await h.http.get(links[0]!.href).set('X-Auth-Token', token).expect(200);
  });

  it('is also accepted without slashes around it', async () => {
    const other = await startHarness({ api: { root_prefix: 'salt' } });
    try {
      const token = await loginAt(other, '/salt/login');
      await other.http.get('/salt/minions').set('X-Auth-Token', token).expect(200);
    } finally {
      await other.close();
    }
  });
});

async function loginAt(h: Harness, url: string): Promise<string> {
  const res = await h.http.post(url).send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200);
  return String(res.headers['x-auth-token']);
}
