/**
 * docs/openapi.yaml against the running code: the document is a valid OpenAPI 3.1 description
 * (swagger-parser); every answer the sandbox gives, for every endpoint, every netapi client and
 * every error status, is documented for its path, method, status and content type, and its body
 * validates (ajv, JSON Schema 2020-12) against the schema there; each client's chunks and returns
 * validate against that client's own schemas; and every route the app registers is documented.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type Router from '@koa/router';
import { load } from 'js-yaml';
import WebSocket from 'ws';
import { startHarness, login, type Harness } from './support/harness.js';
import { projectRoot } from './support/paths.js';
import { fakeSshMaster } from './support/fakeSsh.js';
import { waitUntil } from './support/wait.js';
import { createApp } from '../src/app.js';
import { createSaltAdapter } from '../src/salt/adapter.js';
import { createLogger } from '../src/log.js';
import { createDefaultRegistry } from '../serializers/defaults.js';
import { CLIENT_NAMES } from '../src/salt/types.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const BODY_LIMIT = 65536;

interface MediaType {
  schema?: unknown;
}
interface ResponseObject {
  $ref?: string;
  content?: Record<string, MediaType>;
}
interface Operation {
  responses: Record<string, ResponseObject>;
}
interface OpenApi {
  openapi: string;
  info: { version: string };
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, ResponseObject>; schemas: Record<string, unknown> };
}

const readDocument = (): OpenApi => load(readFileSync(path.join(projectRoot, 'docs/openapi.yaml'), 'utf8')) as OpenApi;

/** JSON pointer escaping of one path segment. */
const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** `local_async` → `LocalAsync`: the prefix of the client's Chunk and Return schemas. */
const schemaPrefix = (client: string) => client.replace(/(^|_)([a-z])/g, (_m, _sep, letter: string) => letter.toUpperCase());

/** An answer as the test saw it. */
interface Answer {
  method: string;
  path: string;
  status: number;
  type: string;
  text: string;
}

/** Finds operations and response schemas in the document and validates bodies with ajv. */
class Contract {
  readonly ajv = new Ajv2020({ allErrors: true, strictTypes: false, strictTuples: false });
  /** `METHOD /template` of every operation an answer was checked against. */
  readonly exercised = new Set<string>();
  readonly statuses = new Set<number>();
  readonly clientSchemas = new Set<string>();
  private readonly templates: { template: string; pattern: RegExp }[];

  constructor(readonly doc: OpenApi) {
    addFormats(this.ajv);
    // The document's own top-level members are no JSON Schema keywords; its schemas are reached by pointer.
    for (const keyword of ['openapi', 'info', 'servers', 'tags', 'security', 'paths', 'components']) this.ajv.addKeyword(keyword);
    this.ajv.addSchema(doc as object, 'openapi');
    this.templates = Object.keys(doc.paths).map((template) => {
      const source = template
        .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace(/\/\{tail\}/, '(?:/.*)?')
        .replace(/\{[^}]+\}/g, '[^/]+');
      return { template, pattern: new RegExp(`^${source}/?$`) };
    });
  }

  schema(pointer: string): ValidateFunction {
    const validate = this.ajv.getSchema(`openapi#${pointer}`);
    if (!validate) throw new Error(`no schema at ${pointer}`);
    return validate;
  }

  /** The documented path template a request path falls under (exact paths before templated ones). */
  templateOf(requestPath: string): string | undefined {
    const pathname = requestPath.split('?')[0]!;
    const matches = this.templates.filter(({ pattern }) => pattern.test(pathname)).map(({ template }) => template);
    return matches.find((t) => !t.includes('{')) ?? matches[0];
  }

  /** A response object's pointer, following a `$ref` to components. */
  private responsePointer(pointer: string, response: ResponseObject): { pointer: string; response: ResponseObject } {
    if (!response.$ref) return { pointer, response };
    const name = response.$ref.replace('#/components/responses/', '');
    return { pointer: `/components/responses/${name}`, response: this.doc.components.responses[name]! };
  }

  /** The documented response for this answer: of the operation, or (404, 405) of any path. */
  private documented(answer: Answer): { pointer: string; response: ResponseObject } {
    const what = `${answer.method} ${answer.path} → ${answer.status} ${answer.type}: ${answer.text.slice(0, 300)}`;
    const template = this.templateOf(answer.path);
    const method = answer.method.toLowerCase();
    const operation = template === undefined ? undefined : this.doc.paths[template]?.[method];
    if (operation === undefined) {
      const anyPath: Record<number, string> = { 404: 'NotFound', 405: 'MethodNotAllowed' };
      const name = anyPath[answer.status];
      expect(name, `undocumented operation: ${what}`).to.be.a('string');
      return { pointer: `/components/responses/${name}`, response: this.doc.components.responses[name!]! };
    }
    this.exercised.add(`${answer.method} ${template}`);
    const response = operation.responses[String(answer.status)];
    expect(response, `undocumented status: ${what}`).to.not.equal(undefined);
    return this.responsePointer(`/paths/${escapePointer(template!)}/${method}/responses/${answer.status}`, response!);
  }

  /** Check an answer against the document; returns the parsed body (undefined for non-data answers). */
  check(answer: Answer): unknown {
    this.statuses.add(answer.status);
    const what = `${answer.method} ${answer.path} → ${answer.status} ${answer.type}: ${answer.text.slice(0, 300)}`;
    const { pointer, response } = this.documented(answer);
    if (response.content === undefined) {
      expect(answer.text, `a body where none is documented: ${what}`).to.equal('');
      return undefined;
    }
    const media = response.content[answer.type];
    expect(media, `undocumented content type: ${what}`).to.not.equal(undefined);
    let body: unknown = answer.text;
    if (answer.type === 'application/json') body = JSON.parse(answer.text);
    else if (answer.type === 'application/x-yaml') body = load(answer.text);
    if (media!.schema !== undefined) {
      const validate = this.schema(`${pointer}/content/${escapePointer(answer.type)}/schema`);
      expect(validate(body), `${what}\n${this.ajv.errorsText(validate.errors)}`).to.equal(true);
    }
    return body;
  }

  /** A chunk that worked validates against its client's Chunk schema, each of its returns against the Return one. */
  checkClient(client: string, chunk: Record<string, unknown>, returns: unknown[]): void {
    const prefix = schemaPrefix(client);
    const chunkSchema = this.schema(`/components/schemas/${prefix}Chunk`);
    expect(chunkSchema(chunk), `${client} chunk ${JSON.stringify(chunk)}: ${this.ajv.errorsText(chunkSchema.errors)}`).to.equal(true);
    const returnSchema = this.schema(`/components/schemas/${prefix}Return`);
    for (const item of returns) {
      expect(returnSchema(item), `${client} return ${JSON.stringify(item).slice(0, 300)}: ${this.ajv.errorsText(returnSchema.errors)}`).to.equal(true);
    }
    this.clientSchemas.add(client);
  }
}

interface Send {
  headers?: Record<string, string>;
  /** A value sent as JSON, or a string sent as it is (set its Content-Type in headers). */
  body?: unknown;
}

describe('OpenAPI description (docs/openapi.yaml)', function () {
  this.timeout(60_000);
  let h: Harness;
  let token: string;
  let contract: Contract;
  let tmp: string;

  async function send(method: string, requestPath: string, options: Send = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['Content-Type'] ??= 'application/json';
    }
    const res = await fetch(`${h.url}${requestPath}`, { method, headers, body, redirect: 'manual' });
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    // An event stream never ends by itself: its headers are the answer.
    let text = '';
    if (type === 'text/event-stream') await res.body?.cancel();
    else text = type === 'application/x-tar' ? '' : await res.text();
    return { method, path: requestPath, status: res.status, type, text };
  }

  /** Send, check against the document, and expect `status`; returns the parsed body. */
  async function expectAnswer(status: number, method: string, requestPath: string, options: Send = {}): Promise<unknown> {
    const answer = await send(method, requestPath, options);
    expect(answer.status, `${method} ${requestPath}: ${answer.text.slice(0, 300)}`).to.equal(status);
    return contract.check(answer);
  }

  const session = () => ({ 'X-Auth-Token': token });
  const credentials = { username: 'saltdev', password: 'saltdev', eauth: 'auto' };

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-openapi-'));
    h = await startHarness({
      api: { master_timeout: 1, max_request_body_size: BODY_LIMIT, stats_disable_auth: false },
      master: fakeSshMaster(tmp),
    });
    token = await login(h);
    contract = new Contract(readDocument());
  });
  after(async () => {
    await h.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = readDocument();
    expect(doc.openapi).to.match(/^3\.1\./);
    const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string };
    expect(doc.info.version, 'info.version follows package.json').to.equal(pkg.version);
    await SwaggerParser.validate(structuredClone(doc) as never);
  });

  it('is served at GET /openapi.json as JSON, with root_prefix in servers, whatever the Accept', async () => {
    const body = (await expectAnswer(200, 'GET', '/openapi.json', { headers: { Accept: 'application/x-yaml' } })) as OpenApi;
    expect({ ...body, servers: undefined }).to.deep.equal({ ...readDocument(), servers: undefined });
    expect(body.servers).to.deep.equal([{ url: '/', description: 'this server' }]);
    // Under a prefix, and with an `app` page that takes every browser request it is not told to leave alone.
    const page = path.join(tmp, 'app.html');
    writeFileSync(page, '<!doctype html><title>app</title>');
    const prefixed = await startHarness({ api: { root_prefix: '/salt/api', app: page } });
    try {
      const res = await fetch(`${prefixed.url}/salt/api/openapi.json`, { headers: { Accept: 'text/html,*/*;q=0.8', 'Sec-Fetch-Mode': 'navigate' } });
      expect(res.headers.get('content-type')).to.equal('application/json');
      expect(((await res.json()) as OpenApi).servers).to.deep.equal([{ url: '/salt/api', description: 'this server' }]);
    } finally {
      await prefixed.close();
    }
  });

  it('documents the session endpoints: /login, /logout, /token', async () => {
    await expectAnswer(200, 'GET', '/login');
    await expectAnswer(200, 'POST', '/login', { body: credentials });
    await expectAnswer(200, 'POST', '/login', { body: 'username: saltdev\npassword: saltdev\neauth: auto\n', headers: { 'Content-Type': 'application/x-yaml', Accept: 'application/x-yaml' } });
    await expectAnswer(200, 'POST', '/login', { body: 'username=saltdev&password=saltdev&eauth=auto', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    await expectAnswer(401, 'POST', '/login', { body: { ...credentials, password: 'wrong' } });
    await expectAnswer(400, 'POST', '/login', { body: '{"username": ', headers: { 'Content-Type': 'application/json' } });
    await expectAnswer(406, 'POST', '/login', { body: '<login/>', headers: { 'Content-Type': 'application/xml' } });
    await expectAnswer(200, 'GET', '/token');
    await expectAnswer(200, 'POST', '/token', { body: [credentials] });
    await expectAnswer(400, 'POST', '/token', { body: [{ username: 'saltdev' }] });
    await expectAnswer(401, 'POST', '/token', { body: [{ ...credentials, password: 'wrong' }] });
    const throwaway = await login(h);
    await expectAnswer(200, 'POST', '/logout', { headers: { 'X-Auth-Token': throwaway } });
    await expectAnswer(401, 'POST', '/logout');
  });

  /** One working chunk per netapi client. */
  const chunks: Record<string, unknown>[] = [
    { client: 'local', tgt: '*', fun: 'test.ping' },
    { client: 'local', tgt: ['minion-1'], tgt_type: 'list', fun: 'test.arg', arg: [1, 'two'], kwarg: { three: 3 }, full_return: true },
    { client: 'local_async', tgt: '*', fun: 'test.ping' },
    { client: 'local_batch', tgt: '*', fun: 'test.ping', batch: 1 },
    { client: 'local_subset', tgt: '*', fun: 'test.ping', sub: 1 },
    { client: 'runner', fun: 'test.arg', arg: [1], kwarg: { a: 'b' } },
    { client: 'runner', fun: 'test.arg', full_return: true },
    { client: 'runner_async', fun: 'test.arg' },
    { client: 'wheel', fun: 'key.list_all' },
    { client: 'wheel_async', fun: 'key.list_all' },
    { client: 'ssh', tgt: 'web*', fun: 'test.ping' },
  ];

  it('documents every netapi client through POST / (session) and POST /run (credentials), chunk and return', async () => {
    for (const chunk of chunks) {
      const client = chunk.client as string;
      const viaSession = (await expectAnswer(200, 'POST', '/', { headers: session(), body: [chunk] })) as { return: unknown[] };
      contract.checkClient(client, { ...chunk, token }, viaSession.return);
      const withCredentials = { ...chunk, ...credentials };
      const viaRun = (await expectAnswer(200, 'POST', '/run', { body: [withCredentials], headers: { Accept: 'application/x-yaml' } })) as { return: unknown[] };
      contract.checkClient(client, withCredentials, viaRun.return);
    }
    expect([...contract.clientSchemas].sort()).to.deep.equal([...CLIENT_NAMES].sort());
  });

  it('documents the request formats: a single mapping, YAML, form and text/plain bodies', async () => {
    await expectAnswer(200, 'POST', '/', { headers: session(), body: { client: 'local', tgt: '*', fun: 'test.ping' } });
    await expectAnswer(200, 'POST', '/', { headers: { ...session(), 'Content-Type': 'application/x-yaml' }, body: '- client: local\n  tgt: "*"\n  fun: test.ping\n' });
    await expectAnswer(200, 'POST', '/', { headers: { ...session(), 'Content-Type': 'text/yaml' }, body: '- {client: runner, fun: test.arg}\n' });
    await expectAnswer(200, 'POST', '/', { headers: { ...session(), 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'client=local&tgt=*&fun=test.arg&arg=1&arg=[2]' });
    await expectAnswer(200, 'POST', '/run', { headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify([{ client: 'local', tgt: '*', fun: 'test.ping', ...credentials }]) });
  });

  it('documents the command errors: 400, 401, 406, 413, 414', async () => {
    await expectAnswer(200, 'GET', '/');
    await expectAnswer(200, 'GET', '/run');
    await expectAnswer(200, 'GET', '/', { headers: { Accept: 'application/x-yaml' } });
    await expectAnswer(406, 'GET', '/', { headers: { Accept: 'image/png' } });
    await expectAnswer(400, 'GET', '/', { headers: { Accept: 'application/json;q=high' } });
    await expectAnswer(400, 'POST', '/', { headers: session(), body: [{ client: 'nonesuch', fun: 'test.ping' }] });
    await expectAnswer(400, 'POST', '/', { headers: session(), body: 'not a list' });
    await expectAnswer(400, 'POST', '/', { headers: session(), body: [{ client: 'local', tgt: '*', fun: 'test.ping', timeout: -1 }] });
    await expectAnswer(401, 'POST', '/', { body: [{ client: 'local', tgt: '*', fun: 'test.ping' }] });
    await expectAnswer(401, 'POST', '/', { headers: { 'X-Auth-Token': 'ab'.repeat(32) }, body: [{ client: 'local', tgt: '*', fun: 'test.ping' }] });
    await expectAnswer(401, 'POST', '/run', { body: [{ client: 'local', tgt: '*', fun: 'test.ping', ...credentials, password: 'wrong' }] });
    await expectAnswer(406, 'POST', '/', { headers: { ...session(), 'Content-Type': 'application/xml' }, body: '<lowstate/>' });
    await expectAnswer(406, 'POST', '/run', { headers: { Accept: 'text/csv' }, body: [] });
    await expectAnswer(413, 'POST', '/', { headers: session(), body: [{ client: 'local', tgt: '*', fun: 'test.arg', arg: ['x'.repeat(BODY_LIMIT)] }] });
    await expectAnswer(414, 'GET', `/?q=${'x'.repeat(9000)}`);
    await expectAnswer(414, 'POST', `/run?q=${'x'.repeat(9000)}`, { body: [] });
  });

  it('documents the master failures: 500, 502, 503, 504', async () => {
    h.sandbox.injectReply({ error: { name: 'SomethingNew', message: 'the master changed' } });
    await expectAnswer(500, 'POST', '/run', { body: [{ client: 'wheel', fun: 'key.list_all', ...credentials }] });
    h.sandbox.injectReply({ error: 'no worker pool routes cmd' });
    await expectAnswer(502, 'POST', '/run', { body: [{ client: 'local', tgt: '*', fun: 'test.ping', ...credentials }] });
    h.sandbox.setReplyDelay(2);
    try {
      await expectAnswer(503, 'POST', '/run', { body: [{ client: 'local', tgt: '*', fun: 'test.ping', ...credentials }] });
    } finally {
      h.sandbox.setReplyDelay(0);
    }
    await expectAnswer(504, 'POST', '/', { headers: session(), body: [{ client: 'runner', fun: 'test.sleep', arg: [3], timeout: 0.3 }] });
  });

  it('documents 501 for the ssh client without salt-ssh', async () => {
    const bare = await startHarness({ master: { salt_ssh_path: path.join(tmp, 'no-salt-ssh') } });
    const saved = h;
    h = bare;
    try {
      await expectAnswer(501, 'POST', '/run', { body: [{ client: 'ssh', tgt: '*', fun: 'test.ping', ...credentials }] });
    } finally {
      h = saved;
      await bare.close();
    }
  });

  it('documents /minions and /jobs', async () => {
    await expectAnswer(200, 'GET', '/minions', { headers: session() });
    await expectAnswer(200, 'GET', '/minions/minion-1', { headers: { ...session(), Accept: 'application/x-yaml' } });
    await expectAnswer(401, 'GET', '/minions');
    const started = (await expectAnswer(202, 'POST', '/minions', { headers: session(), body: [{ tgt: '*', fun: 'test.ping' }] })) as { return: { jid: string }[] };
    await expectAnswer(400, 'POST', '/minions', { headers: session(), body: 'no' });
    await expectAnswer(200, 'GET', '/jobs', { headers: session() });
    await expectAnswer(200, 'GET', `/jobs/${started.return[0]!.jid}`, { headers: session() });
    await expectAnswer(200, 'GET', '/jobs/20000101000000000000', { headers: session() });
    await expectAnswer(401, 'GET', '/jobs/20000101000000000000');
    await expectAnswer(405, 'DELETE', '/jobs', { headers: session() });
  });

  it('documents /keys: lists, fingerprints, the tar archive and their errors', async () => {
    await expectAnswer(200, 'GET', '/keys', { headers: session() });
    await expectAnswer(200, 'GET', '/keys/minion-1', { headers: session() });
    await expectAnswer(401, 'GET', '/keys');
    await expectAnswer(400, 'GET', '/keys/%00', { headers: session() });
    const tar = await send('POST', '/keys', { body: { mid: 'fresh-minion', ...credentials } });
    expect(tar.status).to.equal(200);
    contract.check(tar);
    await expectAnswer(400, 'POST', '/keys', { body: credentials });
    await expectAnswer(401, 'POST', '/keys', { body: { mid: 'another-minion', ...credentials, password: 'wrong' } });
  });

  it('documents the webhook, the event streams and the WebSocket', async () => {
    await expectAnswer(200, 'POST', '/hook', { headers: session(), body: { a: 1 } });
    await expectAnswer(200, 'POST', '/hook/deploy/web', { headers: { ...session(), 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    await expectAnswer(401, 'POST', '/hook/deploy', { body: {} });
    await expectAnswer(404, 'POST', '/hook/a/%01', { headers: session(), body: {} });
    await expectAnswer(200, 'GET', `/events?token=${token}`);
    await expectAnswer(200, 'GET', '/events?tag=salt/job', { headers: session() });
    await expectAnswer(401, 'GET', '/events');
    for (const [wsPath, headers, status] of [
      ['/ws', session(), 101],
      [`/ws/${token}`, {}, 101],
      ['/ws', {}, 401],
      ['/ws/nothex', {}, 401],
    ] as const) {
      const answer = await upgrade(wsPath, headers);
      expect(answer.status, wsPath).to.equal(status);
      contract.check(answer);
    }
  });

  /** A WebSocket upgrade as an answer: 101 (no body) or the refusal before it. */
  function upgrade(wsPath: string, headers: Record<string, string>): Promise<Answer> {
    return new Promise((resolve) => {
      const socket = new WebSocket(`${h.url.replace(/^http/, 'ws')}${wsPath}`, { headers });
      socket.once('upgrade', (res) => {
        socket.terminate();
        resolve({ method: 'GET', path: wsPath, status: res.statusCode ?? 0, type: '', text: '' });
      });
      socket.once('error', () => undefined);
      socket.once('unexpected-response', (_req, res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ method: 'GET', path: wsPath, status: res.statusCode ?? 0, type: (res.headers['content-type'] ?? '').split(';')[0]!, text }));
      });
    });
  }

  it('documents the operations endpoints: /stats, /metrics, /healthz, /readyz', async () => {
    await expectAnswer(200, 'GET', '/stats', { headers: session() });
    await expectAnswer(401, 'GET', '/stats');
    await expectAnswer(200, 'GET', '/metrics', { headers: { ...session(), Accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' } });
    await expectAnswer(401, 'GET', '/metrics');
    await expectAnswer(200, 'GET', '/healthz', { headers: { Accept: 'application/x-yaml' } });
    await expectAnswer(200, 'GET', '/readyz');
    await expectAnswer(405, 'POST', '/healthz', { body: {} });
    h.sandbox.setReplyDelay(2);
    try {
      // A ready verdict younger than a second may still be served.
      let answer: Answer | undefined;
      await waitUntil('readyz reports the slow master', async () => (answer = await send('GET', '/readyz')).status !== 200, 10_000);
      expect(answer!.status).to.equal(503);
      contract.check(answer!);
    } finally {
      h.sandbox.setReplyDelay(0);
    }
  });

  it('documents the console page, unknown paths and the 403 of authorized_ips', async () => {
    await expectAnswer(200, 'GET', '/app');
    await expectAnswer(200, 'GET', '/app/anything');
    await expectAnswer(200, 'GET', '/app/main.js');
    await expectAnswer(200, 'GET', '/app/console.css');
    await expectAnswer(200, 'GET', '/app/config.json');
    await expectAnswer(200, 'GET', '/app/config.json', { headers: session() });
    await expectAnswer(404, 'GET', '/nowhere');
    const guarded = await startHarness({ api: { authorized_ips: ['192.0.2.1'] } });
    const saved = h;
    h = guarded;
    try {
      await expectAnswer(403, 'GET', '/');
      await expectAnswer(403, 'POST', '/login', { body: credentials });
      await expectAnswer(403, 'GET', '/app/config.json');
      await expectAnswer(200, 'GET', '/app');
      await expectAnswer(200, 'GET', '/healthz');
    } finally {
      h = saved;
      await guarded.close();
    }
  });

  it('documents auth throttling: 429 with Retry-After on /login, /token, /run and a bad token', async () => {
    const throttled = await startHarness({ api: { auth_throttle: { max_failures_per_user_ip: 1, max_failures_per_ip: 2 } } });
    const saved = h;
    h = throttled;
    try {
      const wrong = { ...credentials, password: 'wrong' };
      await expectAnswer(401, 'POST', '/login', { body: wrong });
      for (const [method, requestPath, options] of [
        ['POST', '/login', { body: wrong }],
        ['POST', '/token', { body: wrong }],
        ['POST', '/run', { body: [{ client: 'local', tgt: '*', fun: 'test.ping', ...wrong }] }],
      ] as const) {
        const answer = await send(method, requestPath, options);
        expect(answer.status, `${method} ${requestPath}`).to.equal(429);
        contract.check(answer);
      }
      // The address's own limit (a well-formed token the master does not know counts): refused before the master is asked.
      await send('GET', '/minions', { headers: { 'X-Auth-Token': 'a'.repeat(40) } });
      const res = await fetch(`${h.url}/minions`, { headers: { 'X-Auth-Token': 'b'.repeat(40) } });
      expect(res.status).to.equal(429);
      expect(Number(res.headers.get('retry-after'))).to.be.greaterThan(0);
      contract.check({ method: 'GET', path: '/minions', status: res.status, type: (res.headers.get('content-type') ?? '').split(';')[0]!, text: await res.text() });
    } finally {
      h = saved;
      await throttled.close();
    }
  });

  it('has had every documented operation exercised, and every error status', () => {
    const documented = Object.entries(contract.doc.paths).flatMap(([template, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${template}`));
    expect(documented.filter((op) => !contract.exercised.has(op))).to.deep.equal([]);
    const statuses = [200, 202, 101, 400, 401, 403, 404, 405, 406, 413, 414, 429, 500, 501, 502, 503, 504];
    expect(statuses.filter((status) => !contract.statuses.has(status))).to.deep.equal([]);
  });

  it('documents every route the app registers', async () => {
    const settings = h.settings;
    const log = createLogger({ level: 'error' });
    const salt = await createSaltAdapter(settings, log);
    try {
      const app = createApp({ settings, salt, registry: createDefaultRegistry(), log, tls: false });
      const routers = app.middleware.map((mw) => (mw as { router?: Router }).router).filter((r) => r !== undefined);
      expect(routers.length).to.be.at.least(2);
      const routes = routers.flatMap((router) =>
        router.stack.flatMap((layer) =>
          layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m} ${String(layer.path).replace(/:(\w+)/g, '{$1}').replace('{/*path}', '/{tail}')}`),
        ),
      );
      // Served by middleware of their own rather than a router.
      const outsideRouters = ['GET /events', 'GET /ws', 'GET /ws/{token}', 'GET /app', 'GET /app/{file}', 'GET /app/config.json'];
      const documented = new Set(Object.entries(contract.doc.paths).flatMap(([template, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${template}`)));
      expect([...routes, ...outsideRouters].filter((route) => !documented.has(route))).to.deep.equal([]);
      expect(routes).to.include.members(['GET /healthz', 'GET /readyz', 'GET /openapi.json', 'POST /hook/{tail}', 'GET /keys/{mid}']);
    } finally {
      salt.close();
    }
  });
});
