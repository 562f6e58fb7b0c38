/**
 * The API behind Debian's nginx, configured by the shipped examples/nginx/salt-api.conf (its
 * ports, addresses and certificate adapted by test/support/nginx.ts): TLS and the Secure cookie,
 * the browser's form login and form command under the Origin check, unbuffered /events and
 * upgraded /ws, both sub-path mounts, X-Forwarded-For only from the trusted proxy, the API's own
 * 413 for an oversized body and 200 concurrent requests over the upstream keepalive pool.
 */
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import http from 'node:http';
import { expect } from 'chai';
import WebSocket from 'ws';
import { makeCertificates, type CertFiles } from './support/certs.js';
import { startHarness, type Harness } from './support/harness.js';
import { freePort } from './support/sockets.js';
import { connectionsTo, haveNginx, siteFromExample, startNginx, tlsRequest, type Nginx, type TlsAnswer, type TlsRequest } from './support/nginx.js';

const MISSING = 'nginx is not installed (Debian: apt-get install nginx-light; .ci/run installs it)';
const NGINX_ADDRESS = '127.0.0.1';
/** nginx's outgoing address in the copies of server blocks the API must not trust. */
const UNTRUSTED_BIND = '127.0.0.2';
/** A client address authorized_ips lists, and one it does not. */
const LISTED_CLIENT = '127.0.0.3';
const OTHER_CLIENT = '127.0.0.4';
const LOGIN = JSON.stringify({ username: 'saltdev', password: 'saltdev', eauth: 'auto' });
const BODY_LIMIT = 1048576;

interface Ports {
  root: number;
  stripped: number;
  kept: number;
  redirect: number;
  untrustedRoot: number;
  untrustedKept: number;
}

interface SaltReturn {
  return: Record<string, unknown>[];
  _links?: { jobs: { href: string }[] };
}

describe(haveNginx() ? 'behind nginx (examples/nginx/salt-api.conf)' : `behind nginx — PENDING: ${MISSING}`, function () {
  let certs: CertFiles;
  let ca: Buffer;
  /** The API at the root (upstream salt_api), which only addresses in authorized_ips may use. */
  let root: Harness;
  /** The API with root_prefix /salt (upstream salt_api_under_salt). */
  let underSalt: Harness;
  let nginx: Nginx;
  let ports: Ports;

  before(async function () {
    // The suite's title carries the reason, so the pending tests say why they did not run.
    if (!haveNginx()) this.skip();
    this.timeout(60_000);
    certs = await makeCertificates();
    ca = await certs.read(certs.selfSignedCrt);
    root = await startHarness({ api: { trusted_proxies: [NGINX_ADDRESS], authorized_ips: [NGINX_ADDRESS, LISTED_CLIENT], max_request_body_size: BODY_LIMIT } });
    underSalt = await startHarness({ api: { trusted_proxies: [NGINX_ADDRESS], root_prefix: '/salt' } });
    ports = {
      root: await freePort(),
      stripped: await freePort(),
      kept: await freePort(),
      redirect: await freePort(),
      untrustedRoot: await freePort(),
      untrustedKept: await freePort(),
    };
    const site = await siteFromExample({
      upstreams: { salt_api: Number(new URL(root.url).port), salt_api_under_salt: Number(new URL(underSalt.url).port) },
      tls: { 'salt.example.com': ports.root, 'www.example.com': ports.stripped, 'intranet.example.com': ports.kept },
      redirect: ports.redirect,
      untrusted: [
        { server: 'salt.example.com', port: ports.untrustedRoot, bind: UNTRUSTED_BIND },
        { server: 'intranet.example.com', port: ports.untrustedKept, bind: UNTRUSTED_BIND },
      ],
      certificate: certs.selfSignedCrt,
      key: certs.selfSignedKey,
    });
    nginx = await startNginx(site, Object.values(ports));
  });
  after(async () => {
    await nginx?.stop();
    await root?.close();
    await underSalt?.close();
    await certs?.remove();
  });

  const send = (port: number, path: string, options: TlsRequest = {}): Promise<TlsAnswer> => tlsRequest(port, ca, path, options);
  const json = (answer: TlsAnswer): SaltReturn => {
    expect(answer.headers['content-type'], answer.body).to.equal('application/json');
    return JSON.parse(answer.body) as SaltReturn;
  };
  const login = async (port: number, path = '/login', localAddress?: string): Promise<TlsAnswer> => {
    const answer = await send(port, path, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: LOGIN, localAddress });
    expect(answer.status, answer.body).to.equal(200);
    return answer;
  };
  const tokenOf = (answer: TlsAnswer): string => String(answer.headers['x-auth-token']);
  const cookieOf = (answer: TlsAnswer): string => String(answer.headers['set-cookie']);
  const run = (port: number, path: string, token: string, lowstate: Record<string, unknown>): Promise<TlsAnswer> =>
    send(port, path, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Auth-Token': token }, body: JSON.stringify([lowstate]) });

  /** An SSE stream through nginx; resolves with its headers once they arrive. */
  const openEvents = (port: number, path: string) =>
    new Promise<{ status: number; received: () => string; close: () => void }>((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port, path, ca, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        resolve({ status: res.statusCode ?? 0, received: () => text, close: () => req.destroy() });
      });
      req.on('error', reject);
    });

  /** A WebSocket through nginx, once open and told to stream; its frames collect in `frames`. */
  const openSocket = async (port: number, path: string): Promise<{ socket: WebSocket; frames: string[] }> => {
    const socket = new WebSocket(`wss://127.0.0.1:${port}${path}`, { ca });
    const frames: string[] = [];
    socket.on('message', (data: WebSocket.RawData) => frames.push(String(data)));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.send('websocket client ready');
    return { socket, frames };
  };

  const until = async (what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  it('redirects plain http to https', async () => {
    const answer = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: ports.redirect, path: '/login?x=1', headers: { Host: 'salt.example.com' }, agent: false }, resolve).on('error', reject);
    });
    answer.resume();
    expect(answer.statusCode).to.equal(301);
    expect(answer.headers.location).to.equal('https://salt.example.com/login?x=1');
  });

  it("answers with nginx's request id when the API trusts nginx, with one of its own when it does not", async () => {
    expect((await send(ports.root, '/')).headers['x-request-id']).to.match(/^[0-9a-f]{32}$/);
    expect((await send(ports.untrustedRoot, '/')).headers['x-request-id']).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('sets a Secure session cookie over TLS when the API trusts nginx, and not when it does not', async () => {
    expect(cookieOf(await login(ports.root))).to.match(/^session_id=[0-9a-f]+; Path=\/; .*; Secure$/);
    expect(cookieOf(await login(ports.kept, '/salt/login'))).to.match(/; Path=\/salt; .*; Secure$/);
    // The same server block, reaching the API from an address it does not trust: it sees http.
    const untrusted = cookieOf(await login(ports.untrustedKept, '/salt/login'));
    expect(untrusted).to.match(/^session_id=[0-9a-f]+; Path=\/salt; /);
    expect(untrusted).not.to.include('Secure');
  });

  it('takes a form login, then runs a form command sent with the cookie alone from its own origin', async () => {
    const origin = `https://127.0.0.1:${ports.root}`;
    const form = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', Origin: origin };
    const logged = await send(ports.root, '/login', { method: 'POST', headers: form, body: 'username=saltdev&password=saltdev&eauth=auto' });
    expect(logged.status, logged.body).to.equal(200);
    const cookie = cookieOf(logged).split(';')[0] ?? '';
    const command = 'client=local&tgt=minion-1&fun=test.echo&arg=through+nginx';
    const ran = await send(ports.root, '/', { method: 'POST', headers: { ...form, Cookie: cookie }, body: command });
    expect(ran.status, ran.body).to.equal(200);
    expect(json(ran).return).to.deep.equal([{ 'minion-1': 'through nginx' }]);
    // Host $http_host kept the port: the same form from the host's other port is another origin.
    const sibling = await send(ports.root, '/', { method: 'POST', headers: { ...form, Cookie: cookie, Origin: `https://127.0.0.1:${ports.stripped}` }, body: command });
    expect(sibling.status).to.equal(403);
    expect(json(sibling).return).to.match(/^Origin not allowed/);
  });

  it('passes an event on /events and on /ws within a second of the job', async () => {
    const token = tokenOf(await login(ports.root));
    const events = await openEvents(ports.root, `/events?token=${token}`);
    const { socket, frames } = await openSocket(ports.root, `/ws/${token}`);
    try {
      expect(events.status).to.equal(200);
      const started = Date.now();
      const answer = await run(ports.root, '/', token, { client: 'local_async', tgt: 'minion-1', fun: 'test.ping' });
      const jid = String(json(answer).return[0]?.jid);
      const tag = `salt/job/${jid}/new`;
      await until(`${tag} on /events`, () => events.received().includes(`tag: ${tag}\n`));
      const sse = Date.now() - started;
      await until(`${tag} on /ws`, () => frames.some((frame) => frame.includes(`"tag": "${tag}"`)));
      const ws = Date.now() - started;
      expect(sse, 'ms until the event arrived on /events').to.be.below(1000);
      expect(ws, 'ms until the event arrived on /ws').to.be.below(1000);
    } finally {
      events.close();
      socket.terminate();
    }
  });

  for (const [variant, port] of [['prefix stripped by nginx + X-Forwarded-Prefix', 'stripped'], ['prefix kept, root_prefix /salt', 'kept']] as const) {
    it(`works under /salt/ (${variant}): login, command, job link, console, /events, /ws`, async () => {
      const logged = await login(ports[port], '/salt/login');
      expect(cookieOf(logged)).to.match(/; Path=\/salt; /);
      const token = tokenOf(logged);
      const ran = await run(ports[port], '/salt/', token, { client: 'local', tgt: 'minion-1', fun: 'test.echo', arg: ['under salt'] });
      expect(json(ran).return).to.deep.equal([{ 'minion-1': 'under salt' }]);

      const events = await openEvents(ports[port], `/salt/events?token=${token}`);
      const { socket, frames } = await openSocket(ports[port], `/salt/ws/${token}`);
      try {
        expect(events.status).to.equal(200);
        const started = await run(ports[port], '/salt/minions', token, { tgt: 'minion-1', fun: 'test.ping' });
        expect(started.status).to.equal(202);
        const body = json(started);
        const jid = String(body.return[0]?.jid);
        expect(body._links).to.deep.equal({ jobs: [{ href: `/salt/jobs/${jid}` }] });
        await until('the job on /salt/events', () => events.received().includes(`tag: salt/job/${jid}/new\n`));
        await until('the job on /salt/ws', () => frames.some((frame) => frame.includes(`"tag": "salt/job/${jid}/new"`)));
        const job = await send(ports[port], `/salt/jobs/${jid}`, { headers: { Accept: 'application/json', 'X-Auth-Token': token } });
        expect(job.status, job.body).to.equal(200);
      } finally {
        events.close();
        socket.terminate();
      }

      const page = await send(ports[port], '/salt/app', { headers: { Accept: 'text/html' } });
      expect(page.body).to.include('src="/salt/app/main.js"');
      expect((await send(ports[port], '/salt/app/main.js')).status).to.equal(200);
      const config = await send(ports[port], '/salt/app/config.json');
      expect(JSON.parse(config.body)).to.include({ api: '/salt' });
    });
  }

  it('believes X-Forwarded-For only from the trusted proxy', async () => {
    const status = async (port: number, from: string, headers: Record<string, string> = {}) =>
      (await send(port, '/', { localAddress: from, headers: { Accept: 'application/json', ...headers } })).status;
    // nginx forwards the client's address; the API trusts nginx's word for it.
    expect(await status(ports.root, LISTED_CLIENT)).to.equal(200);
    expect(await status(ports.root, OTHER_CLIENT)).to.equal(403);
    // A client's own X-Forwarded-For is kept left of the address nginx adds, and proves nothing.
    expect(await status(ports.root, OTHER_CLIENT, { 'X-Forwarded-For': LISTED_CLIENT })).to.equal(403);
    // The same server block reaching the API from an untrusted address: its header counts for nothing.
    expect(await status(ports.untrustedRoot, LISTED_CLIENT)).to.equal(403);
    expect(await status(ports.untrustedRoot, LISTED_CLIENT, { 'X-Forwarded-For': LISTED_CLIENT })).to.equal(403);
  });

  it("answers a 2 MB body with the API's own 413, 20 times out of 20, and sent chunked too", async () => {
    const body = randomBytes(2 * 1024 * 1024);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const answer = await send(ports.root, '/', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body });
      statuses.push(answer.status);
      if (answer.status === 413) expect(json(answer)).to.deep.equal({ status: 413, return: `Request body is larger than the limit of ${BODY_LIMIT} bytes` });
    }
    expect(statuses).to.deep.equal(Array<number>(20).fill(413));
    // Sent chunked, without a length: nginx reads it all and passes it on with one.
    const chunked = await send(ports.root, '/', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Transfer-Encoding': 'chunked' }, body });
    expect(chunked.status).to.equal(413);
    expect(json(chunked)).to.deep.equal({ status: 413, return: `Request body is larger than the limit of ${BODY_LIMIT} bytes` });
  });

  it("answers a body past client_max_body_size with nginx's 413 in the API's JSON shape", async () => {
    const answer = await send(ports.root, '/', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': String(17 * 1024 * 1024) } });
    expect(answer.status).to.equal(413);
    expect(json(answer)).to.deep.equal({ status: 413, return: 'Request body is larger than the limit of 16777216 bytes' });
  });

  it('answers 200 concurrent local_async requests, all 200, and keeps upstream connections for the next ones', async function () {
    this.timeout(60_000);
    const token = tokenOf(await login(ports.root));
    const agent = new https.Agent({ keepAlive: true, maxSockets: 200, ca });
    try {
      const answers = await Promise.all(
        Array.from({ length: 200 }, () =>
          send(ports.root, '/', {
            method: 'POST',
            agent,
            headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Auth-Token': token },
            body: JSON.stringify([{ client: 'local_async', tgt: '*', fun: 'test.ping' }]),
          }),
        ),
      );
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.filter((status) => status !== 200), `${await nginx.errorLog()}`.slice(-2000)).to.deep.equal([]);
      for (const answer of answers) expect(json(answer).return[0]).to.have.property('jid');
      // The upstream keepalive pool: nginx keeps connections to the API open for the next
      // requests, at most `keepalive 64` of them.
      expect(await connectionsTo(Number(new URL(root.url).port))).to.be.within(1, 64);
    } finally {
      agent.destroy();
    }
  });
});
