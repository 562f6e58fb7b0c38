/**
 * Limits on what a request may be: URL length (414), header size (431), malformed HTTP (400),
 * YAML documents (400), lowstate fields of the wrong type for every client (400 naming the field),
 * mappings whose `toString`/`valueOf` are no functions in any field (never a 500), and arguments
 * that would expand far beyond their size. Nothing refused ever reaches a minion.
 */
import { expect } from 'chai';
import { CLIENT_NAMES } from '../src/salt/types.js';
import { startHarness, login, type Harness } from './support/harness.js';
import { rawRequest } from './support/raw.js';
import { exchange, jsonBodyOf, statusOf } from './support/sockets.js';

const UPGRADE = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' };

describe('hostile input', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness({ api: { max_url_length: 1000, max_header_size: 4096 } });
    token = await login(h);
  });
  after(async () => {
    await h.close();
  });

  const post = (body: unknown) => h.http.post('/').set('X-Auth-Token', token).set('Accept', 'application/json').send(body as object);
  /** Work the master was asked to do since `from` (token checks aside). */
  const workSince = (from: number) => h.sandbox.requests.slice(from).filter((load) => load.cmd !== 'get_token');

  describe('URLs, headers and HTTP itself', () => {
    it('answers a URL over max_url_length with 414 in the API format, before routing or authentication', async () => {
      const long = `/minions/${'a'.repeat(1000)}`;
      const res = await h.http.get(long).expect(414);
      expect(res.body).to.deep.equal({ status: 414, return: 'Request URL is longer than the limit of 1000 characters' });
      const query = await h.http.get(`/?q=${'b'.repeat(1000)}`).set('Accept', 'application/x-yaml').expect(414);
      expect(query.headers['content-type']).to.equal('application/json');
      await h.http.get(`/?q=${'b'.repeat(900)}`).expect(200);
    });

    it('answers a WebSocket upgrade with a URL over the limit with 414 before the upgrade', async () => {
      const res = await rawRequest(h.url, `/ws/${'a'.repeat(1000)}`, { headers: UPGRADE });
      expect(res.status).to.equal(414);
      expect(JSON.parse(res.body)).to.deep.equal({ status: 414, return: 'Request URL is longer than the limit of 1000 characters' });
    });

    it('answers headers over max_header_size with 431 and a JSON body, and serves the next client', async () => {
      const result = await exchange(h.url, (socket) => socket.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(5000)}\r\n\r\n`), 5000);
      expect(statusOf(result.received)).to.equal(431);
      expect(jsonBodyOf(result.received)).to.deep.equal({ status: 431, return: 'Request header fields too large' });
      expect(result.closed).to.equal(true);
      await h.http.get('/').set('X-Fits', 'a'.repeat(3000)).expect(200);
    });

    it('answers a request line that is not HTTP with 400 and a JSON body', async () => {
      const result = await exchange(h.url, (socket) => socket.write('HELLO THERE\r\n\r\n'), 5000);
      expect(statusOf(result.received)).to.equal(400);
      expect(jsonBodyOf(result.received)).to.deep.equal({ status: 400, return: 'Malformed HTTP request' });
    });
  });

  describe('YAML bodies', () => {
    const yaml = (target: string, body: string) =>
      h.http.post(target).set('X-Auth-Token', token).set('Content-Type', 'application/x-yaml').set('Accept', 'application/json').send(body);

    it('refuses duplicate keys, several documents, unknown tags and malformed YAML with 400, on /login too', async () => {
      const before = h.sandbox.requests.length;
      const bad = [
        'username: a\nusername: b\npassword: x\neauth: auto\n',
        'username: a\n---\nusername: b\n',
        'username: !!python/object:os.system id\n',
        'username: [a\n',
        '- &x [*x]\n',
      ];
      for (const body of bad) {
        for (const target of ['/login', '/']) {
          const res = await yaml(target, body).expect(400);
          expect(res.body.status, `${target} ${body}`).to.equal(400);
        }
      }
      expect(workSince(before)).to.deep.equal([]);
    });
  });

  describe('lowstate fields of the wrong type', () => {
    const base: Record<string, Record<string, unknown>> = {
      local: { tgt: 'minion-1', fun: 'test.arg' },
      local_async: { tgt: 'minion-1', fun: 'test.arg' },
      local_batch: { tgt: 'minion-1', fun: 'test.arg', batch: '1' },
      local_subset: { tgt: 'minion-1', fun: 'test.arg', subset: 1 },
      runner: { fun: 'test.arg' },
      runner_async: { fun: 'test.arg' },
      ssh: { tgt: 'web1', fun: 'test.arg' },
      wheel: { fun: 'key.list_all' },
      wheel_async: { fun: 'key.list_all' },
    };
    const publishing = ['local', 'local_async', 'local_batch', 'local_subset', 'ssh'];
    const withTimeout = ['local', 'local_batch', 'local_subset', 'runner', 'ssh'];
    const cases: [string, Record<string, unknown>, string, (client: string) => boolean][] = [
      ['tgt as an object', { tgt: { a: 1 } }, 'tgt', (client) => publishing.includes(client)],
      ['fun as a number', { fun: 5 }, 'fun', () => true],
      ['timeout as a word', { timeout: 'soon' }, 'timeout', (client) => withTimeout.includes(client)],
      ['timeout past what a timer holds', { timeout: 1e308 }, 'timeout', (client) => withTimeout.includes(client)],
      ['arg as a mapping', { arg: { a: 1 } }, 'arg', () => true],
      ['kwarg as a list', { kwarg: [1, 2] }, 'kwarg', () => true],
    ];

    for (const client of CLIENT_NAMES) {
      it(`${client}: 400 naming the field, nothing run`, async () => {
        const before = h.sandbox.requests.length;
        const executed = h.sandbox.executed.length;
        for (const [what, fields, field, applies] of cases) {
          if (!applies(client)) continue;
          const res = await post([{ client, ...base[client], ...fields }]);
          expect(res.status, `${client} with ${what}: ${JSON.stringify(res.body)}`).to.equal(400);
          expect(res.body.return, `${client} with ${what}`).to.match(new RegExp(`^Invalid value for '${field}'`));
        }
        expect(workSince(before).map((load) => load.cmd)).to.deep.equal([]);
        expect(h.sandbox.executed.length).to.equal(executed);
      });
    }

    // A JSON mapping may carry `toString` and `valueOf` keys that are no functions: anything that
    // turned such a value into a string or number the JavaScript way would throw (a 500).
    const TRAP = { toString: '', valueOf: '' };
    const FIELDS = ['client', 'tgt', 'fun', 'arg', 'kwarg', 'tgt_type', 'ret', 'timeout', 'gather_job_timeout', 'batch', 'batch_wait', 'subset', 'sub', 'full_return', 'token', 'eauth', 'username', 'password', 'raw_shell', 'jid', 'match', 'expr_form', 'ssh_priv', 'roster'];

    it('a mapping with toString and valueOf keys in any field of any client, or as its list item, is answered below 500', async () => {
      for (const client of CLIENT_NAMES) {
        for (const field of FIELDS) {
          for (const value of [TRAP, [TRAP]]) {
            const chunk = { client, ...base[client], [field]: value };
            const res = await post([chunk]);
            // The test host has no salt-ssh: a valid ssh chunk ends in 501 saying so.
            const ceiling = client === 'ssh' ? 501 : 499;
            expect(res.status, `${JSON.stringify(chunk)}: ${JSON.stringify(res.body)}`).to.be.within(200, ceiling);
          }
        }
      }
    });

    it('such a mapping in the body of every other endpoint is answered below 500', async () => {
      const bodies: [string, unknown][] = [
        ['/login', { username: TRAP, password: 'saltdev', eauth: 'auto' }],
        ['/login', { username: 'saltdev', password: TRAP, eauth: 'auto' }],
        ['/login', { username: 'saltdev', password: 'saltdev', eauth: TRAP }],
        ['/token', { username: TRAP, password: TRAP, eauth: TRAP }],
        ['/run', [{ client: 'runner', fun: 'test.arg', username: TRAP, password: 'saltdev', eauth: 'auto' }]],
        ['/run', [{ client: 'local', tgt: '*', fun: 'test.ping', token: TRAP }]],
        ['/minions', [{ tgt: TRAP, fun: 'test.ping' }]],
        ['/minions', { tgt: '*', fun: TRAP }],
        ['/keys', { mid: TRAP, username: 'saltdev', password: 'saltdev', eauth: 'auto' }],
        ['/hook/trap', { a: TRAP }],
      ];
      for (const [path, body] of bodies) {
        const res = await h.http.post(path).set('X-Auth-Token', token).set('Accept', 'application/json').send(body as object);
        expect(res.status, `${path} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`).to.be.within(200, 499);
      }
    });

    it('a chunk without a client is 400 "Invalid client specified"', async () => {
      const res = await post([{ tgt: '*', fun: 'test.ping' }]).expect(400);
      expect(res.body.return).to.equal("Invalid client specified: 'None'");
    });
  });

  describe('arguments that would expand far beyond their size', () => {
    it('keeps a form full of small alias bombs as text: the answer stays the size of the request', async () => {
      const bomb = '[&a [1,1,1,1,1,1,1,1,1,1], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a], &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b], &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]]';
      const body = `client=local&tgt=minion-1&fun=test.arg&${Array(200).fill(`arg=${encodeURIComponent(bomb)}`).join('&')}`;
      const started = Date.now();
      const res = await h.http.post('/').set('X-Auth-Token', token).type('form').set('Accept', 'application/json').send(body).expect(200);
      expect(Date.now() - started).to.be.below(2000);
      expect(res.body.return[0]['minion-1'].args).to.deep.equal(Array(200).fill(bomb));
    });

    it('still reads small aliases in an argument as YAML, as Salt does', async () => {
      const res = await h.http.post('/').set('X-Auth-Token', token).type('form').send('client=local&tgt=minion-1&fun=test.arg&arg=%5B%26a+%5B1%5D%2C+*a%5D').expect(200);
      expect(res.body.return[0]['minion-1'].args).to.deep.equal([[[1], [1]]]);
    });
  });
});
