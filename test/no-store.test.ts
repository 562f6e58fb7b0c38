/**
 * `Cache-Control: no-store` on /login, /token and /run (issue 11, item 6): their answers carry
 * tokens or what credentials bought, and no cache (a browser's, a proxy's) may keep them. Every
 * status has it, refusals and errors included.
 */
import { expect } from 'chai';
import type { Response } from 'supertest';
import { startHarness, type Harness } from './support/harness.js';

const CREDENTIALS = { username: 'saltdev', password: 'saltdev', eauth: 'auto' };

function noStore(res: Response, what: string): void {
  expect(res.headers['cache-control'], `${what}: ${res.status}`).to.equal('no-store');
}

describe('Cache-Control: no-store on /login, /token and /run', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ api: { max_request_body_size: 4096 } });
  });
  after(async () => {
    await h.close();
  });

  it('/login: the token, a failed login, the login page, and every refusal', async () => {
    const cases: [string, Promise<Response>, number][] = [
      ['login', h.http.post('/login').send(CREDENTIALS), 200],
      ['bad password', h.http.post('/login').send({ ...CREDENTIALS, password: 'nope' }), 401],
      ['login page', h.http.get('/login'), 200],
      ['trailing slash', h.http.post('/login/').send(CREDENTIALS), 200],
      ['bad JSON', h.http.post('/login').set('Content-Type', 'application/json').send('{'), 400],
      ['unacceptable Accept', h.http.post('/login').set('Accept', 'text/csv').send(CREDENTIALS), 406],
      ['body too large', h.http.post('/login').set('Content-Type', 'application/json').send(`"${'x'.repeat(5000)}"`), 413],
      ['wrong method', h.http.put('/login').send(CREDENTIALS), 405],
    ];
    for (const [what, answer, status] of cases) {
      const res = await answer;
      expect(res.status, what).to.equal(status);
      noStore(res, what);
    }
    // Only these paths: other answers keep their own caching headers.
    expect((await h.http.get('/').expect(200)).headers['cache-control']).to.equal(undefined);
  });

  it('/token: the tokens and every refusal', async () => {
    noStore(await h.http.post('/token').send([CREDENTIALS]).expect(200), 'tokens');
    noStore(await h.http.post('/token').send([{ ...CREDENTIALS, password: 'nope' }]).expect(401), 'bad password');
    noStore(await h.http.post('/token').send([{ username: 'saltdev' }]).expect(400), 'missing fields');
  });

  it('/run: the return and every refusal', async () => {
    const chunk = { client: 'local', tgt: '*', fun: 'test.ping', ...CREDENTIALS };
    noStore(await h.http.post('/run').send([chunk]).expect(200), 'run');
    noStore(await h.http.post('/run').send([{ ...chunk, password: 'nope' }]).expect(401), 'bad password');
    noStore(await h.http.post('/run').send({ not: 'a list' }).expect(400), 'not a lowstate');
    noStore(await h.http.post('/RUN').send([chunk]).expect(200), 'path case');
  });
});

describe('Cache-Control: no-store below root_prefix', () => {
  it('applies to the prefixed paths', async () => {
    const h = await startHarness({ api: { root_prefix: '/api' } });
    try {
      noStore(await h.http.post('/api/login').send(CREDENTIALS).expect(200), 'login');
      noStore(await h.http.post('/api/run').send([{ client: 'local', tgt: '*', fun: 'test.ping', ...CREDENTIALS }]).expect(200), 'run');
      noStore(await h.http.post('/api/token').send([{ username: 'x' }]).expect(400), 'token');
    } finally {
      await h.close();
    }
  });
});
