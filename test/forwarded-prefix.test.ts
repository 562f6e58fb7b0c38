/**
 * X-Forwarded-Prefix: believed only from trusted_proxies, ignored when it is no safe path, and
 * put in front of root_prefix wherever the API hands a client a path (cookie Path, _links, the
 * console's mount and API base), while routes still match on root_prefix alone.
 */
import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { IpRanges, resolveClient } from '../src/clientAddress.js';
import { MAX_FORWARDED_PREFIX_LENGTH, parseForwardedPrefix } from '../src/forwardedPrefix.js';
import { startHarness, type Harness } from './support/harness.js';
import { rawRequest } from './support/raw.js';

const HERE = '127.0.0.1';
const PROXY = '127.0.0.2';
const LOGIN = JSON.stringify({ username: 'saltdev', password: 'saltdev', eauth: 'auto' });

/** Values a hostile client or a misconfigured proxy may send; each must be ignored. */
const HOSTILE = [
  'salt',
  'salt/',
  '//evil.example',
  '/salt//x',
  '/salt/../x',
  '/..',
  '/./salt',
  '/salt/.',
  '/salt\r\nSet-Cookie: x=1',
  '/salt\nx',
  '/salt?x=1',
  '/salt#x',
  '/sa"lt',
  "/sa'lt",
  '/<script>',
  '/salt\\x',
  '/sa lt',
  '/salt;Domain=evil.example',
  '/sa%2Flt',
  '/sa\u0000lt',
  '/sälz',
  `/${'a'.repeat(MAX_FORWARDED_PREFIX_LENGTH)}`,
];

function fakeRequest(peer: string, headers: Record<string, string>): IncomingMessage {
  return { socket: { remoteAddress: peer, encrypted: false }, headers } as unknown as IncomingMessage;
}

describe('X-Forwarded-Prefix', () => {
  describe('parseForwardedPrefix', () => {
    it('takes an absolute path of safe segments, without its trailing slash', () => {
      const cases: [string, string][] = [
        ['/salt', '/salt'],
        ['/salt/', '/salt'],
        [' /ops/salt-api ', '/ops/salt-api'],
        ['/a.b/c_d/~e/f-1/g:h@i', '/a.b/c_d/~e/f-1/g:h@i'],
        ['/', ''],
        [`/${'a'.repeat(MAX_FORWARDED_PREFIX_LENGTH - 1)}`, `/${'a'.repeat(MAX_FORWARDED_PREFIX_LENGTH - 1)}`],
      ];
      for (const [value, expected] of cases) expect(parseForwardedPrefix(value), value).to.equal(expected);
    });

    it('refuses anything else', () => {
      for (const value of [...HOSTILE, '']) expect(parseForwardedPrefix(value), JSON.stringify(value)).to.equal(undefined);
    });
  });

  describe('resolveClient', () => {
    const trusted = new IpRanges(['10.0.0.0/8']);

    it('believes the nearest trusted proxy', () => {
      expect(resolveClient(fakeRequest('10.0.0.5', { 'x-forwarded-prefix': '/salt/' }), trusted).prefix).to.equal('/salt');
      expect(resolveClient(fakeRequest('10.0.0.5', { 'x-forwarded-prefix': '/client, /salt' }), trusted).prefix).to.equal('/salt');
      expect(resolveClient(fakeRequest('10.0.0.5', {}), trusted).prefix).to.equal('');
    });

    it('ignores the header from a peer that is no trusted proxy', () => {
      expect(resolveClient(fakeRequest('203.0.113.7', { 'x-forwarded-prefix': '/salt' }), trusted).prefix).to.equal('');
    });

    it('ignores hostile values from a trusted proxy as if the header were absent', () => {
      for (const value of HOSTILE) {
        expect(resolveClient(fakeRequest('10.0.0.5', { 'x-forwarded-prefix': value }), trusted).prefix, JSON.stringify(value)).to.equal('');
      }
    });
  });

  for (const rootPrefix of ['/', '/api']) {
    describe(`in the answers, with root_prefix ${rootPrefix}`, () => {
      const api = rootPrefix === '/' ? '' : rootPrefix;
      let h: Harness;
      let token: string;

      const send = (path: string, from: string, headers: Record<string, string> = {}, body?: string) =>
        rawRequest(h.url, `${api}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          localAddress: from,
          headers: { Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
          body,
        });

      const cookiePath = async (from: string, headers: Record<string, string>): Promise<string | undefined> => {
        const res = await send('/login', from, headers, LOGIN);
        expect(res.status).to.equal(200);
        return /; Path=([^;]*);/.exec(String(res.headers['set-cookie']))?.[1];
      };

      before(async () => {
        h = await startHarness({ api: { trusted_proxies: [PROXY], root_prefix: rootPrefix } });
        const res = await send('/login', HERE, {}, LOGIN);
        token = String(res.headers['x-auth-token']);
      });
      after(async () => {
        await h.close();
      });

      it('sets the session cookie and its removal on the public path', async () => {
        expect(await cookiePath(PROXY, { 'X-Forwarded-Prefix': '/salt/' })).to.equal(`/salt${api}`);
        expect(await cookiePath(PROXY, {})).to.equal(api || '/');
        const session = String((await send('/login', HERE, {}, LOGIN)).headers['x-auth-token']);
        const logout = await send('/logout', PROXY, { 'X-Forwarded-Prefix': '/salt', 'X-Auth-Token': session }, '{}');
        expect(String(logout.headers['set-cookie'])).to.include(`; Path=/salt${api};`);
      });

      it('links the jobs of POST /minions on the public path', async () => {
        const res = await send('/minions', PROXY, { 'X-Forwarded-Prefix': '/salt', 'X-Auth-Token': token }, JSON.stringify({ tgt: 'minion-1', fun: 'test.ping' }));
        expect(res.status).to.equal(202);
        const body = JSON.parse(res.body) as { return: { jid: string }[]; _links: unknown };
        expect(body._links).to.deep.equal({ jobs: [{ href: `/salt${api}/jobs/${body.return[0]?.jid}` }] });
      });

      it('gives the console its public mount and API base', async () => {
        const page = await send('/app', PROXY, { 'X-Forwarded-Prefix': '/salt', Accept: 'text/html' });
        expect(page.status).to.equal(200);
        expect(page.body).to.include(`src="/salt${api}/app/main.js"`);
        expect(page.body).to.include(`href="/salt${api}/openapi.json"`);
        const config = await send('/app/config.json', PROXY, { 'X-Forwarded-Prefix': '/salt' });
        expect((JSON.parse(config.body) as { api: string }).api).to.equal(`/salt${api}`);
      });

      it('names the public root in the OpenAPI servers', async () => {
        for (const [from, headers, root] of [
          [PROXY, { 'X-Forwarded-Prefix': '/salt' }, `/salt${api}`],
          [PROXY, {}, api || '/'],
          [HERE, { 'X-Forwarded-Prefix': '/salt' }, api || '/'],
        ] as const) {
          const res = await send('/openapi.json', from, headers);
          expect((JSON.parse(res.body) as { servers: { url: string }[] }).servers[0]?.url).to.equal(root);
        }
      });

      it('ignores the header from a peer that is no trusted proxy', async () => {
        expect(await cookiePath(HERE, { 'X-Forwarded-Prefix': '/salt' })).to.equal(api || '/');
        const config = await send('/app/config.json', HERE, { 'X-Forwarded-Prefix': '/salt' });
        expect((JSON.parse(config.body) as { api: string }).api).to.equal(api);
      });

      it('ignores hostile values from the trusted proxy', async () => {
        for (const value of HOSTILE.filter((text) => !/[\r\n\u0000]/.test(text) && /^[\x20-\x7e]*$/.test(text))) {
          expect(await cookiePath(PROXY, { 'X-Forwarded-Prefix': value }), value).to.equal(api || '/');
        }
      });

      it('still routes on root_prefix alone', async () => {
        const res = await send('/salt/login', PROXY, { 'X-Forwarded-Prefix': '/salt' });
        expect(res.status).to.equal(404);
      });
    });
  }
});
