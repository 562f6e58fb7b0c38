/**
 * Property-based fuzzing (fast-check) of body parsing and lowstate formation against a running
 * API: whatever the body, Content-Type and Accept, every request ends in a 2xx or 4xx with a
 * well-formed body in a format the API speaks, never a 5xx, a hang or a crash. Runs are bounded
 * so the whole file stays well under 30 s; a failure prints the seed that reproduces it.
 */
import http from 'node:http';
import { expect } from 'chai';
import fc from 'fast-check';
import { dump, load } from 'js-yaml';
import { parseForm } from '../serializers/form.js';
import { CLIENT_NAMES } from '../src/salt/types.js';
import { startHarness, login, type Harness } from './support/harness.js';
import { seeded } from './support/fuzz.js';

/** No single request may take longer than this: anything slower counts as a hang. */
const REQUEST_TIMEOUT_MS = 5000;

interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
}

/** One request with exactly these headers (none added but Host and Content-Length) and these bytes. */
function send(baseUrl: string, method: string, path: string, headers: Record<string, string>, body: Uint8Array | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, baseUrl), { method, headers, agent: false, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path} within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.setHeader('Content-Length', body.length);
    req.end(body);
  });
}

/** The body decoded by its Content-Type; throws when it is not well-formed in that format. */
function decode(answer: Answer): unknown {
  const text = answer.body.toString('utf8');
  const type = answer.contentType.split(';')[0]!.trim();
  if (type === 'application/json') return JSON.parse(text);
  if (type === 'application/x-yaml') return load(text);
  throw new Error(`unexpected Content-Type ${JSON.stringify(answer.contentType)}`);
}

/** `highest`: 504 where the request itself gave a job less than a second (a runner then times out, as in Salt). */
function checkAnswer(answer: Answer, accept: string | undefined, what: string, highest = 499): void {
  const body = answer.body.toString('utf8').slice(0, 300);
  if (answer.status !== 504 || highest < 504) expect(answer.status, `${what} → ${answer.status} ${body}`).to.be.within(200, 499);
  const decoded = decode(answer);
  if (answer.status >= 400) expect(decoded, `${what}: error body`).to.deep.include({ status: answer.status });
  // A plain Accept of one format is honoured for every answer that got as far as negotiation.
  if (answer.status < 300 && accept === 'application/x-yaml') expect(answer.contentType, what).to.equal('application/x-yaml');
  if (answer.status < 300 && accept === 'application/json') expect(answer.contentType, what).to.equal('application/json');
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/x-yaml',
  'text/yaml',
  'application/x-www-form-urlencoded',
  'text/plain',
  'text/plain; charset=latin1',
  'application/xml',
  'multipart/form-data; boundary=x',
  'text/html',
  ';;;',
  '',
];
const ACCEPTS = [
  'application/json',
  'application/x-yaml',
  '*/*',
  'text/html',
  'application/json;q=0',
  'application/x-yaml;q=0.5, application/json',
  'text/event-stream',
  'application/*',
  'q=;;,',
  'application/json;q=high',
];
/** Endpoints that take a body; `/logout` and `POST /keys` are left out (they end the session, or cost an RSA key). */
const PATHS = ['/', '/login', '/run', '/token', '/minions', '/hook/fuzz', '/jobs'];
const FUNCTIONS = ['test.ping', 'test.arg', 'test.echo', 'grains.items', 'key.list_all', 'jobs.list_jobs', 'sys.doc', 'no.such'];

const header = (values: readonly string[]) => fc.option(fc.constantFrom(...values), { nil: undefined });

/** Values of any JSON type, small. */
const anyValue = fc.jsonValue({ maxDepth: 3 });

/** Mostly a value the field can take, sometimes anything at all. */
const usually = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: anyValue, weight: 1 });

/**
 * Lowstate-ish chunks: the keys clients read, mostly with sensible values and now and then a
 * value of any type, so that requests get through to every client and each field check gets hit.
 */
const chunk = fc.record(
  {
    client: usually(fc.constantFrom(...CLIENT_NAMES)),
    tgt: usually(fc.oneof(fc.constantFrom('*', 'minion-1', 'minion-*', 'nobody', 'G@os:Debian'), fc.array(fc.constantFrom('minion-1', 'minion-2')))),
    fun: usually(fc.oneof(fc.constantFrom(...FUNCTIONS), fc.array(fc.constantFrom(...FUNCTIONS), { minLength: 1, maxLength: 3 }))),
    arg: usually(fc.array(anyValue, { maxLength: 3 })),
    kwarg: usually(fc.dictionary(fc.string({ maxLength: 5 }), anyValue, { maxKeys: 3 })),
    timeout: usually(fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constantFrom('1', '2.5'))),
    tgt_type: usually(fc.constantFrom('glob', 'list', 'pcre', 'compound', 'grain')),
    full_return: fc.boolean(),
    batch: usually(fc.constantFrom('1', '50%', 1)),
    subset: usually(fc.integer({ min: 1, max: 3 })),
    match: fc.constantFrom('minion-*', 'nobody'),
  },
  { requiredKeys: ['client'] },
);

/** A chunk or list of chunks written in one of the body formats the API reads. */
/** Whether a chunk's `timeout` (any type, as generated) reads as a positive number of seconds below one. */
function underASecond(timeout: unknown): boolean {
  const seconds = typeof timeout === 'string' && timeout.trim() !== '' ? Number(timeout) : timeout;
  return typeof seconds === 'number' && seconds > 0 && seconds < 1;
}

/**
 * A chunk or list of chunks written in one of the body formats the API reads (a form carries the
 * first chunk only), and whether one of the chunks sent gives its job less than a second.
 */
const lowstateBody = fc.tuple(fc.oneof(chunk, fc.array(chunk, { maxLength: 3 })), fc.constantFrom('json', 'yaml', 'form')).map(([data, format]) => {
  const chunks = Array.isArray(data) ? data : [data];
  if (format !== 'form') {
    const mayTimeOut = chunks.some((sent) => underASecond(sent.timeout));
    return format === 'json' ? { type: 'application/json', text: JSON.stringify(data), mayTimeOut } : { type: 'application/x-yaml', text: dump(data), mayTimeOut };
  }
  const first: Partial<(typeof chunks)[number]> = chunks[0] ?? {};
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(first)) {
    for (const item of Array.isArray(value) ? value : [value]) form.append(key, typeof item === 'string' ? item : JSON.stringify(item));
  }
  return { type: 'application/x-www-form-urlencoded', text: form.toString(), mayTimeOut: underASecond(first.timeout) };
});

/** Bytes of every kind: text in any format, JSON documents, random bytes (invalid UTF-8 included). */
const anyBody = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }).map((text) => new TextEncoder().encode(text)),
  fc.jsonValue({ maxDepth: 4 }).map((value) => new TextEncoder().encode(JSON.stringify(value))),
  fc.uint8Array({ maxLength: 200 }),
  fc.constantFrom('', '[', '- a: [1', 'a=%ff', '&&==&', '{"a": 1, "a": 2}', '*x', '!!python/object:os.system id', '[&a [1], *a]').map((text) => new TextEncoder().encode(text)),
);

describe('fuzzing body parsing and lowstate formation', function () {
  this.timeout(30_000);
  let h: Harness;
  let token: string;
  before(async () => {
    // ssh would answer 501 here (no salt-ssh on the test host): leave it disabled.
    h = await startHarness({ master: { netapi_enable_clients: CLIENT_NAMES.filter((client) => client !== 'ssh') } });
    token = await login(h);
  });
  after(async () => {
    await h.close();
  });

  it('any bytes under any Content-Type and Accept, to any endpoint: 2xx or 4xx with a well-formed body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), header(CONTENT_TYPES), header(ACCEPTS), fc.boolean(), anyBody, async (path, type, accept, authed, body) => {
        const headers: Record<string, string> = {};
        if (type !== undefined) headers['Content-Type'] = type;
        if (accept !== undefined) headers.Accept = accept;
        if (authed) headers['X-Auth-Token'] = token;
        checkAnswer(await send(h.url, 'POST', path, headers, body), accept, `POST ${path} ${type} ${accept}`);
      }),
      seeded(300),
    );
  });

  it('lowstates of every shape, in JSON, YAML and form bodies, through every client: 2xx or 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/', '/run', '/minions'), header(ACCEPTS), lowstateBody, async (path, accept, { type, text, mayTimeOut }) => {
        const headers: Record<string, string> = { 'Content-Type': type, 'X-Auth-Token': token };
        if (accept !== undefined) headers.Accept = accept;
        checkAnswer(await send(h.url, 'POST', path, headers, new TextEncoder().encode(text)), accept, `POST ${path} ${type} ${text}`, mayTimeOut ? 504 : 499);
      }),
      seeded(300),
    );
    // Still alive and still itself.
    const answer = await send(h.url, 'GET', '/', {}, undefined);
    expect(answer.status).to.equal(200);
  });

  it('reads any form that URLSearchParams can write exactly as URLSearchParams reads it', () => {
    const pairs = fc.array(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 10 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 })), { maxLength: 6 });
    fc.assert(
      fc.property(pairs, (entries) => {
        const names = entries.map(([name]) => name).filter((name) => name !== 'arg' && name !== 'kwarg');
        const form = new URLSearchParams(entries.filter(([name]) => names.includes(name)));
        const parsed = parseForm(form.toString());
        for (const name of new Set(names)) {
          const values = form.getAll(name);
          expect(parsed[name]).to.deep.equal(values.length === 1 ? values[0] : values);
        }
      }),
      seeded(500),
    );
  });
});
