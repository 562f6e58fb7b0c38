/** CORS per cors_origin: listed origins only, `*` without credentials, preflight before auth. */
import { expect } from 'chai';
import type { Response } from 'supertest';
import { startHarness, login, type Harness } from './support/harness.js';

const A = 'https://console.example';
const B = 'https://other.example';
const EVIL = 'https://evil.example';
const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
  'access-control-expose-headers',
];

function corsHeaders(res: Response): Record<string, string> {
  return Object.fromEntries(CORS_HEADERS.filter((name) => res.headers[name] !== undefined).map((name) => [name, String(res.headers[name])]));
}

describe('CORS', () => {
  describe('with a list of origins', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ api: { cors_origin: [A, B], max_url_length: 1000, max_request_body_size: 1024 } });
    });
    after(async () => {
      await h.close();
    });

    it('reflects a listed origin with credentials and exposes X-Auth-Token', async () => {
      for (const origin of [A, B]) {
        const res = await h.http.get('/').set('Origin', origin).expect(200);
        expect(corsHeaders(res)).to.deep.equal({
          'access-control-allow-origin': origin,
          'access-control-allow-credentials': 'true',
          'access-control-expose-headers': 'X-Auth-Token',
        });
        expect(res.headers.vary).to.match(/\bOrigin\b/);
      }
    });

    it('gives an unlisted origin no CORS headers, but still says the answer varies by Origin', async () => {
      const res = await h.http.get('/').set('Origin', EVIL).expect(200);
      expect(corsHeaders(res)).to.deep.equal({});
      expect(res.headers.vary).to.match(/\bOrigin\b/);
    });

    it('compares origins exactly', async () => {
      for (const origin of [`${A}/`, A.toUpperCase(), 'http://console.example', `${A}:8443`, 'null']) {
        const res = await h.http.get('/').set('Origin', origin).expect(200);
        expect(corsHeaders(res), origin).to.deep.equal({});
      }
    });

    it('sends no CORS headers without an Origin', async () => {
      const res = await h.http.get('/').expect(200);
      expect(corsHeaders(res)).to.deep.equal({});
    });

    it('answers a preflight with 204 and the allowed methods and headers', async () => {
      const res = await h.http
        .options('/login')
        .set('Origin', A)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type, x-auth-token')
        .expect(204);
      expect(corsHeaders(res)).to.deep.equal({
        'access-control-allow-origin': A,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'Content-Type, X-Auth-Token, X-Requested-With, Cache-Control',
        'access-control-max-age': '1400',
      });
      expect(res.text ?? '').to.equal('');
      expect(res.headers['set-cookie']).to.equal(undefined);
    });

    it('answers a preflight without authentication, sessions, the master or the body', async () => {
      const before = h.sandbox.requests.length;
      for (const path of ['/', '/minions', '/jobs/20240101000000000000', '/logout', '/hook/x', '/nowhere']) {
        const res = await h.http
          .options(path)
          .set('Origin', A)
          .set('Access-Control-Request-Method', 'POST')
          .set('Content-Type', 'application/json')
          .set('Cookie', 'session_id=0123')
          .send('{not json')
          .expect(204);
        expect(res.headers['access-control-allow-origin'], path).to.equal(A);
        expect(res.headers['set-cookie'], path).to.equal(undefined);
      }
      expect(h.sandbox.requests.length).to.equal(before);
    });

    it('gives a preflight from an unlisted origin no CORS headers', async () => {
      const res = await h.http.options('/').set('Origin', EVIL).set('Access-Control-Request-Method', 'POST').expect(204);
      expect(corsHeaders(res)).to.deep.equal({});
    });

    it('does not offer methods other than GET and POST', async () => {
      const res = await h.http.options('/').set('Origin', A).set('Access-Control-Request-Method', 'DELETE').expect(204);
      expect(corsHeaders(res)).to.deep.equal({ 'access-control-allow-origin': A, 'access-control-allow-credentials': 'true' });
    });

    it('puts the headers on error answers too, so the page can read them', async () => {
      const res = await h.http.post('/').set('Origin', A).send([{ client: 'local', tgt: '*', fun: 'test.ping' }]).expect(401);
      expect(res.headers['access-control-allow-origin']).to.equal(A);
      expect(res.headers['access-control-allow-credentials']).to.equal('true');
      const missing = await h.http.get('/nowhere').set('Origin', A).expect(404);
      expect(missing.headers['access-control-allow-origin']).to.equal(A);
    });

    it('puts them on the URL and body size refusals (414, 413) as well', async () => {
      const long = await h.http.get(`/?q=${'a'.repeat(1000)}`).set('Origin', A).expect(414);
      expect(long.headers['access-control-allow-origin']).to.equal(A);
      expect(long.body.status).to.equal(414);
      const big = await h.http.post('/login').set('Origin', A).set('Content-Type', 'application/json').send(JSON.stringify({ pad: 'x'.repeat(2000) })).expect(413);
      expect(big.headers['access-control-allow-origin']).to.equal(A);
      expect(big.body).to.deep.equal({ status: 413, return: 'Request body is larger than the limit of 1024 bytes' });
    });

    it('lets a listed origin log in and use the token', async () => {
      const res = await h.http.post('/login').set('Origin', A).send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(200);
      expect(res.headers['access-control-expose-headers']).to.equal('X-Auth-Token');
      const token = String(res.headers['x-auth-token']);
      const run = await h.http.post('/').set('Origin', A).set('X-Auth-Token', token).send([{ client: 'local', tgt: 'minion-1', fun: 'test.ping' }]);
      expect(run.status).to.equal(200);
      expect(run.headers['access-control-allow-origin']).to.equal(A);
    });
  });

  describe('with "*"', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ api: { cors_origin: '*' } });
    });
    after(async () => {
      await h.close();
    });

    it('answers * without credentials, for any origin', async () => {
      const res = await h.http.get('/').set('Origin', EVIL).expect(200);
      expect(corsHeaders(res)).to.deep.equal({
        'access-control-allow-origin': '*',
        'access-control-expose-headers': 'X-Auth-Token',
      });
    });

    it('answers the preflight without credentials', async () => {
      const res = await h.http.options('/minions').set('Origin', EVIL).set('Access-Control-Request-Method', 'GET').expect(204);
      expect(res.headers['access-control-allow-origin']).to.equal('*');
      expect(res.headers['access-control-allow-credentials']).to.equal(undefined);
      expect(res.headers['access-control-allow-methods']).to.equal('GET, POST');
    });
  });

  it('with "*" and a listed origin: the listed one keeps its credentials, others get *', async () => {
    const h = await startHarness({ api: { cors_origin: [A, '*'] } });
    try {
      const listed = await h.http.get('/').set('Origin', A).expect(200);
      expect(listed.headers['access-control-allow-origin']).to.equal(A);
      expect(listed.headers['access-control-allow-credentials']).to.equal('true');
      const other = await h.http.get('/').set('Origin', B).expect(200);
      expect(other.headers['access-control-allow-origin']).to.equal('*');
      expect(other.headers['access-control-allow-credentials']).to.equal(undefined);
    } finally {
      await h.close();
    }
  });

  describe('without cors_origin', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness();
    });
    after(async () => {
      await h.close();
    });

    it('sends no CORS headers at all (salt-api reflected every origin with credentials)', async () => {
      const token = await login(h);
      const res = await h.http.get('/minions').set('Origin', EVIL).set('X-Auth-Token', token).expect(200);
      expect(corsHeaders(res)).to.deep.equal({});
      expect(res.headers.vary ?? '').not.to.match(/\bOrigin\b/);
    });

    it('still answers OPTIONS with 204 and nothing else', async () => {
      const res = await h.http.options('/minions').set('Origin', EVIL).set('Access-Control-Request-Method', 'GET').expect(204);
      expect(corsHeaders(res)).to.deep.equal({});
    });
  });
});
