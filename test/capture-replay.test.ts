/**
 * Replays every recorded rest_cherrypy exchange (test/fixtures/captures/cherrypy-*.txt) against
 * salt-api-koa on the sandbox master: the same method, path, headers and body bytes, with the
 * recorded tokens swapped for fresh ones of ours. The answer must have salt-api's status,
 * Content-Type and body shape, or be listed in DELIBERATE_DIFFERENCES with what we answer instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { startHarness, type Harness } from './support/harness.js';
import { readCapture, type Capture } from './support/capture.js';
import { decodeBody, parseEventStream, type StreamEvent } from './support/bodies.js';
import { openRaw, sendRaw, type RawRequest, type RawResponse } from './support/rawHttp.js';
import { shapeMismatches, type ShapeOptions } from './support/shape.js';
import { projectRoot, fixturePath } from './support/paths.js';
import type { SandboxOptions } from '../src/sandbox/index.js';
import { RELEASE, wheelAnswerAsOfRelease } from './support/release.js';

export interface DeliberateDifference {
  capture: string;
  /** What salt-api-koa answers instead: its status and Content-Type, and what its body is. */
  status: number;
  contentType: string;
  /**
   * `error`: our error body, `{"status": <status>, "return": "<message>"}`. `like`: where we
   * succeed and salt-api refused, the transcript of the successful request whose answer ours has.
   * `keys`: an object of our own with (at least) these keys.
   */
  body: 'error' | { like: string } | { keys: string[] };
  /** Why, in words that appear verbatim in README.md's "Differences from salt-api" section. */
  why: string;
}

const JSON_ERRORS =
  'Errors are data in the negotiated format, `{"status": <code>, "return": "<message>"}`, with salt-api\'s messages — never an HTML page or a stack trace';
const SALT_TOKEN_SESSIONS = 'a `/login` token works on `/run` and a `/token` token works as `X-Auth-Token` (salt-api: 401 for both)';
const OWN_STATS = "`/stats` reports this server's own figures, not CherryPy's statistics tree";

const jsonError = (capture: string, status: number): DeliberateDifference => ({
  capture,
  status,
  contentType: 'application/json',
  body: 'error',
  why: JSON_ERRORS,
});

export const DELIBERATE_DIFFERENCES: DeliberateDifference[] = [
  jsonError('cherrypy-03-login-missing-eauth.txt', 401),
  jsonError('cherrypy-03-login-pam-badpw.txt', 401),
  jsonError('cherrypy-03-login-unknown-eauth.txt', 401),
  jsonError('cherrypy-04-badtoken-post.txt', 401),
  jsonError('cherrypy-04-noauth-post.txt', 401),
  jsonError('cherrypy-08-client-disabled.txt', 400),
  jsonError('cherrypy-12-stats-noauth.txt', 401),
  jsonError('cherrypy-13-hook-noauth.txt', 401),
  jsonError('cherrypy-16-after-logout.txt', 401),
  {
    capture: 'cherrypy-12-stats.txt',
    status: 200,
    contentType: 'application/json',
    body: { keys: ['uptime_seconds', 'requests', 'in_flight'] },
    why: OWN_STATS,
  },
  {
    capture: 'cherrypy-14-eauthtoken-as-header.txt',
    status: 200,
    contentType: 'application/json',
    body: { like: 'cherrypy-05-local-test.ping-json.txt' },
    why: SALT_TOKEN_SESSIONS,
  },
  {
    capture: 'cherrypy-14-run-token.txt',
    status: 200,
    contentType: 'application/json',
    body: { like: 'cherrypy-14-run-eauthtoken.txt' },
    why: SALT_TOKEN_SESSIONS,
  },
];

const CAPTURES = readdirSync(fixturePath('captures'))
  .filter((name) => /^cherrypy-.+\.txt$/.test(name))
  .sort();

interface Credentials {
  username: string;
  password: string;
  eauth: string;
}

const SALTDEV: Credentials = { username: 'saltdev', password: 'saltdev', eauth: 'auto' };
const SALTPAM: Credentials = { username: 'saltpam', password: 'saltpam', eauth: 'pam' };
const ALL_RIGHTS = ['.*', '@runner', '@wheel', '@jobs'];

/** The users the transcripts log in as, with the rights the recording master gave them. */
const SANDBOX: SandboxOptions = {
  minions: ['minion-1', 'minion-2'],
  users: { saltdev: { password: 'saltdev' }, saltpam: { password: 'saltpam', eauth: ['pam'] } },
  externalAuth: { auto: { saltdev: ALL_RIGHTS }, sharedsecret: { saltdev: ALL_RIGHTS }, pam: { saltdev: ALL_RIGHTS, saltpam: ALL_RIGHTS } },
};

/**
 * The sandbox keeps one password per user, while the sharedsecret backend takes the master's
 * shared secret as anybody's password: that transcript gets a sandbox of its own.
 */
const OWN_SANDBOX: Record<string, SandboxOptions> = {
  'cherrypy-03-login-sharedsecret.txt': {
    users: { saltdev: { password: 'realsalt-sharedsecret', eauth: ['sharedsecret'] } },
    externalAuth: { sharedsecret: { saltdev: ALL_RIGHTS } },
  },
};

/** saltdev's salt-api session, which most transcripts were recorded with. */
const SALTDEV_SESSION = '06b7cb19a39e09ed65719ceaa3e51e036297b439';

/**
 * The tokens the transcripts carry, and where the equivalent one of ours comes from. salt-api's
 * session ids (40 hex, from /login) and Salt eauth tokens (64 hex, from /token) both become
 * tokens of ours; `null` marks a token the transcript sent to be refused, which is kept.
 */
const RECORDED_TOKENS: Record<string, { from: '/login' | '/token'; as: Credentials } | null> = {
  [SALTDEV_SESSION]: { from: '/login', as: SALTDEV },
  cde0f17e73b4634f88169558df5e2845efd676c0: { from: '/login', as: SALTPAM },
  '998037618f11699bb32c47bcbb2c3addb93434250ed16bff924330fc5d39f816': { from: '/token', as: SALTDEV },
  '0000000000000000000000000000000000000000': null,
};

/** What the recording master had done before a transcript's request that the request relies on. */
const PREPARE: Record<string, (h: Harness, replace: Map<string, string>) => Promise<void>> = {
  // Recorded after /logout of the same session.
  'cherrypy-16-after-logout.txt': async (h, replace) => {
    const token = replace.get(SALTDEV_SESSION)!;
    await h.http.post('/logout').set('X-Auth-Token', token).expect(200);
  },
  // Asks for a test.ping job the recording master had run ("jid=20261127161924239819").
  'cherrypy-10-jobs-get-jid.txt': async (h, replace) => {
    const token = replace.get(SALTDEV_SESSION)!;
    replace.set('20261127161924239819', await finishedJob(h, token));
  },
};

/** What was sent while an event stream was recorded (the transcript's first line says what). */
const DURING_STREAM: Record<string, (h: Harness, token: string) => Promise<void>> = {
  'cherrypy-15-events-sse.txt': async (h, token) => {
    await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'local', tgt: '*', fun: 'test.ping' }]).expect(200);
    const hook = await sendRaw(h.url, {
      method: 'POST',
      path: '/hook/foo',
      headers: [
        ['User-Agent', 'curl/7.88.1'],
        ['Accept', 'application/json'],
        ['X-Auth-Token', token],
        ['Content-Type', 'application/json'],
      ],
      body: '{"from": "sse-capture"}',
    });
    expect(hook.status, 'POST /hook/foo during the stream').to.equal(200);
  },
};

/** Maps keyed by data rather than contract, per transcript. */
const KEYED_BY_DATA: Record<string, RegExp[]> = {
  // local_subset picks its minions at random.
  'cherrypy-06-local_subset.txt': [/^\$\.return\[0\]$/],
};

const GRAINS = /^\$\.return\[0\]\.[^.[]+(\.(hwaddr|ip4|ip6|ip)_interfaces)?$/;

/** Maps whose keys are partly data (only the keys both sides have are compared), per transcript. */
const OPEN_MAPS: Record<string, RegExp[]> = {
  // Grains: which ones a minion has depends on its OS and Salt version, and the *_interfaces
  // grains are keyed by the host's network interface names.
  'cherrypy-09-minions-get.txt': [GRAINS],
  'cherrypy-09-minions-get-one.txt': [GRAINS],
  // A hook event carries whatever headers the hook's client sent (less its credentials, on purpose:
  // see README).
  'cherrypy-15-events-sse.txt': [/^\$\.data\.data\.headers$/],
};

const TOKEN_LIKE = /\b[0-9a-f]{40}(?:[0-9a-f]{24})?\b/g;

async function freshToken(h: Harness, from: '/login' | '/token', as: Credentials): Promise<string> {
  const res = await h.http.post(from).set('Accept', 'application/json').send(as).expect(200);
  const body: unknown = res.body;
  const entry: unknown = from === '/login' ? (body as { return: unknown[] }).return[0] : (body as unknown[])[0];
  const token = (entry as { token?: unknown }).token;
  if (typeof token !== 'string') throw new Error(`${from} gave no token: ${res.text}`);
  return token;
}

/** Runs test.ping on every minion and waits until both returns are in the job cache. */
async function finishedJob(h: Harness, token: string): Promise<string> {
  const started = await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'local_async', tgt: '*', fun: 'test.ping' }]).expect(200);
  const jid = (started.body as { return: { jid: string }[] }).return[0]!.jid;
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const job = await h.http.get(`/jobs/${jid}`).set('X-Auth-Token', token).expect(200);
    if (Object.keys((job.body as { return: Record<string, unknown>[] }).return[0] ?? {}).length === 2) return jid;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${jid} did not finish`);
}

/** The recorded request with recorded tokens (and other recorded ids) replaced by ours. */
async function ourRequest(h: Harness, name: string, capture: Capture): Promise<RawRequest> {
  const replace = new Map<string, string>();
  const recorded = [capture.request.path, capture.requestBody ?? '', ...capture.request.headers.map(([, value]) => value)].join('\n');
  for (const token of new Set(recorded.match(TOKEN_LIKE) ?? [])) {
    if (!Object.hasOwn(RECORDED_TOKENS, token)) throw new Error(`${name}: unknown recorded token ${token}; add it to RECORDED_TOKENS`);
    const how = RECORDED_TOKENS[token];
    if (how) replace.set(token, await freshToken(h, how.from, how.as));
  }
  await PREPARE[name]?.(h, replace);
  const swap = (text: string): string => [...replace].reduce((out, [from, to]) => out.replaceAll(from, to), text);
  return {
    method: capture.request.method,
    path: swap(capture.request.path),
    // Host and Content-Length belong to the connection and the body as we send them.
    headers: capture.request.headers.filter(([header]) => !/^(host|content-length)$/i.test(header)).map(([header, value]) => [header, swap(value)]),
    body: capture.requestBody === undefined ? undefined : swap(capture.requestBody),
  };
}

/** The recorded body as bytes: a tar answer was saved beside its transcript. */
function recordedBody(name: string, capture: Capture): Buffer {
  if (capture.headers['content-type'] === 'application/x-tar') return readFileSync(fixturePath(`captures/${name.replace(/\.txt$/, '.tar')}`));
  return Buffer.from(capture.body, 'utf8');
}

async function expectSameShape(name: string, res: RawResponse, like: string, options: ShapeOptions): Promise<void> {
  const capture = readCapture(like);
  const contentType = capture.headers['content-type']!;
  expect(res.status, `status (salt-api: ${capture.status}); body: ${res.body.toString('utf8').slice(0, 300)}`).to.equal(capture.status);
  expect(res.headers['content-type'], 'Content-Type').to.equal(contentType);
  const expected = asOfRelease(like, await decodeBody(contentType, recordedBody(like, capture)));
  const actual = await decodeBody(contentType, res.body);
  expect(shapeMismatches(actual, expected, options), `shape of ${name} against ${like}`).to.deep.equal([]);
}

/** The recorded answer as salt-api gives it in front of this run's release. */
function asOfRelease(name: string, recorded: unknown): unknown {
  return /-wheel-/.test(name) ? wheelAnswerAsOfRelease(recorded) : recorded;
}

async function expectDocumentedDifference(row: DeliberateDifference, res: RawResponse): Promise<void> {
  expect(res.status, `status; body: ${res.body.toString('utf8').slice(0, 300)}`).to.equal(row.status);
  expect(res.headers['content-type'], 'Content-Type').to.equal(row.contentType);
  if (typeof row.body === 'object' && 'like' in row.body) {
    await expectSameShape(row.capture, res, row.body.like, {});
    return;
  }
  const body = await decodeBody(row.contentType, res.body);
  if (row.body === 'error') {
    expect(shapeMismatches(body, { status: 0, return: '' }), 'error body').to.deep.equal([]);
    expect((body as { status: number }).status).to.equal(row.status);
  } else {
    expect(body).to.be.an('object').that.includes.all.keys(...row.body.keys);
  }
}

/** salt-api's recorded answer, as if it had come from us. */
function recordedResponse(name: string): RawResponse {
  const capture = readCapture(name);
  return { status: capture.status, headers: { 'content-type': capture.headers['content-type'] }, body: recordedBody(name, capture) };
}

const foldTag = (event: StreamEvent): string => (event.tag ?? '').replace(/\d{20}/g, '<jid>');

/** An event stream: the same events (tags with jids folded), each with salt-api's data shape. */
async function expectSameStream(h: Harness, name: string, request: RawRequest, capture: Capture): Promise<void> {
  const stream = await openRaw(h.url, request);
  try {
    expect(stream.status, 'status').to.equal(capture.status);
    expect(stream.headers['content-type'], 'Content-Type').to.equal(capture.headers['content-type']);
    const expected = parseEventStream(`${capture.body}\n\n`);
    // The capture's master (2024-08, a 3007) fired both job announcements; releases differ (salt-versions.md §3, §4).
    expected.events = expected.events.filter((event) => {
      const tag = foldTag(event);
      return (tag !== '<jid>' || RELEASE.bareJidEvent) && (!tag.endsWith('/publish') || RELEASE.publishEvent);
    });
    await stream.waitFor((text) => /^retry: /m.test(text) || parseEventStream(text).events.length > 0, 5000);
    const token = request.headers.find(([header]) => header.toLowerCase() === 'x-auth-token')![1];
    await DURING_STREAM[name]!(h, token);
    const text = await stream.waitFor((t) => parseEventStream(t).events.length >= expected.events.length, 5000);
    const actual = parseEventStream(text);
    expect(actual.retry, 'retry').to.equal(expected.retry);
    expect(actual.events.map(foldTag).sort(), 'event tags').to.deep.equal(expected.events.map(foldTag).sort());
    const unmatched = [...expected.events];
    for (const event of actual.events) {
      const twin = unmatched.splice(unmatched.findIndex((e) => foldTag(e) === foldTag(event)), 1)[0]!;
      expect(shapeMismatches(event, twin, { openMaps: OPEN_MAPS[name] }), `event ${foldTag(event)}`).to.deep.equal([]);
    }
  } finally {
    stream.close();
  }
}

describe('replay of the recorded salt-api exchanges', () => {
  const harnesses = new Map<string, Harness>();
  let shared: Harness;
  before(async () => {
    shared = await startHarness({ sandbox: SANDBOX });
  });
  after(async () => {
    await shared.close();
    await Promise.all([...harnesses.values()].map((h) => h.close()));
  });

  const harnessFor = async (name: string): Promise<Harness> => {
    const own = OWN_SANDBOX[name];
    if (own === undefined) return shared;
    const h = harnesses.get(name) ?? (await startHarness({ sandbox: own }));
    harnesses.set(name, h);
    return h;
  };

  // In file order, on one master: later transcripts rely on earlier ones (a key made, then deleted).
  for (const name of CAPTURES) {
    const row = DELIBERATE_DIFFERENCES.find((r) => r.capture === name);
    it(row ? `${name}: answers ${row.status} on purpose` : `${name}: answers like salt-api`, async () => {
      const h = await harnessFor(name);
      const capture = readCapture(name);
      const request = await ourRequest(h, name, capture);
      if (capture.headers['content-type']?.startsWith('text/event-stream') && !row) {
        await expectSameStream(h, name, request, capture);
        return;
      }
      const res = await sendRaw(h.url, request);
      if (row) await expectDocumentedDifference(row, res);
      else await expectSameShape(name, res, name, { openMaps: OPEN_MAPS[name], keyedByData: KEYED_BY_DATA[name] });
    });
  }

  it('lists only transcripts that exist, whose recorded answer is not the documented one', async () => {
    for (const row of DELIBERATE_DIFFERENCES) {
      expect(CAPTURES, row.capture).to.include(row.capture);
      const recordedIsDocumented = await expectDocumentedDifference(row, recordedResponse(row.capture)).then(
        () => true,
        () => false,
      );
      expect(recordedIsDocumented, `${row.capture} is listed, but salt-api's answer already is the documented one`).to.equal(false);
    }
    expect(new Set(DELIBERATE_DIFFERENCES.map((r) => r.capture)).size, 'one row per transcript').to.equal(DELIBERATE_DIFFERENCES.length);
  });
});

describe('the shape comparison the replay relies on', () => {
  it('ignores values and catches a missing key, an extra key and a changed type', () => {
    const recorded = { return: [{ token: 'abc', expire: 1.5, perms: ['.*'] }] };
    expect(shapeMismatches({ return: [{ token: 'xyz', expire: 9, perms: ['@wheel', '@runner'] }] }, recorded)).to.deep.equal([]);
    expect(shapeMismatches({ return: [{ token: 'xyz', perms: [] }] }, recorded)).to.deep.equal(['$.return[0]: missing key "expire"']);
    expect(shapeMismatches({ return: [{ token: 'x', expire: 1, perms: [], user: 'u' }] }, recorded)).to.deep.equal([
      '$.return[0]: extra key "user"',
    ]);
    expect(shapeMismatches({ return: [{ token: 'x', expire: '1', perms: [] }] }, recorded)).to.deep.equal([
      '$.return[0].expire: string where salt-api has number',
    ]);
  });

  it('compares jobs keyed by jid against any recorded job, and refuses an empty job list', () => {
    const recorded = { '20261127161916427324': { Target: '*' }, '20261127161916427325': { Target: ['m1'] } };
    expect(shapeMismatches({ '20991127161916427324': { Target: ['a', 'b'] } }, recorded)).to.deep.equal([]);
    expect(shapeMismatches({ '20991127161916427324': { Target: 1 } }, recorded)).to.have.length(1);
    expect(shapeMismatches({}, recorded)).to.deep.equal(['$: no jobs where salt-api lists some']);
  });

  it('compares a map keyed by data entry by entry, whatever its keys', () => {
    const recorded = { return: [{ 'minion-1': true }] };
    const options = { keyedByData: [/^\$\.return\[0\]$/] };
    expect(shapeMismatches({ return: [{ 'minion-2': true }] }, recorded, options)).to.deep.equal([]);
    expect(shapeMismatches({ return: [{ 'minion-2': 'yes' }] }, recorded, options)).to.have.length(1);
    expect(shapeMismatches({ return: [{}] }, recorded, options)).to.deep.equal(['$.return[0]: no entries where salt-api lists some']);
  });

  it('compares only the shared keys of an open map', () => {
    const recorded = { grains: { os: 'Debian', num_cpus: 2 } };
    const options = { openMaps: [/^\$\.grains$/] };
    expect(shapeMismatches({ grains: { os: 'Debian', extra: true } }, recorded, options)).to.deep.equal([]);
    expect(shapeMismatches({ grains: { num_cpus: '2' } }, recorded, options)).to.have.length(1);
  });
});

describe('README "Differences from salt-api" and DELIBERATE_DIFFERENCES', () => {
  it('names every reason of the table', () => {
    const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
    const start = readme.indexOf('## Differences from salt-api');
    expect(start, 'README has the section').to.be.greaterThan(-1);
    const end = readme.indexOf('\n## ', start + 1);
    const normalize = (text: string): string => text.replace(/\s+/g, ' ');
    const section = normalize(readme.slice(start, end === -1 ? undefined : end));
    for (const row of DELIBERATE_DIFFERENCES) expect(section, row.capture).to.include(normalize(row.why));
  });
});
