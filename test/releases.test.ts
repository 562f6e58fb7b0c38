/**
 * What differs between Salt releases on the wire (salt-versions.md), seen through the API: the
 * request protocol floor, the two bus framings, 3008's error replies. The rest of the suite runs
 * against every release generation (test/matrix.ts); these tests pin the differences themselves.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BusFrameReader, frameFor, type BusFraming } from '../src/salt/busFraming.js';
import { frameBody, packEventFrame, parseEventBody } from '../src/salt/codec.js';
import { RELEASE_GENERATIONS, saltRelease } from '../src/salt/releases.js';
import { startHarness, login, type Harness } from './support/harness.js';
import { flushLogs } from '../src/log.js';
import { fixturePath } from './support/paths.js';

interface ReleaseCapture {
  hex: string;
  frames: number;
}
const WIRE_RELEASES = JSON.parse(readFileSync(fixturePath('captures/wire-releases.json'), 'utf8')) as {
  event_pub: Record<string, ReleaseCapture>;
};

/** salt-versions.md vector T3: a plain frame of `salt/netapi/hook/test`. */
const T3 =
  '82a46865616480a4626f6479c44773616c742f6e65746170692f686f6f6b2f746573740a0a82a4626f6479a0a65f7374616d70d920323032362d30372d30315431323a30303a30302e3030303030312b30303a3030';

function readAll(bytes: Buffer, chunkSize: number): { tags: string[]; framings: BusFraming[] } {
  const tags: string[] = [];
  const framings: BusFraming[] = [];
  const reader = new BusFrameReader((frame, framing) => {
    framings.push(framing);
    tags.push(parseEventBody(frameBody(frame)!)!.tag);
  });
  for (let at = 0; at < bytes.length; at += chunkSize) reader.push(bytes.subarray(at, at + chunkSize));
  expect(reader.pendingBytes).to.equal(0);
  return { tags, framings };
}

describe('event-bus framing (salt-versions.md §2)', () => {
  it('writes vector T4 as T3 behind its 4-byte length', () => {
    const t3 = Buffer.from(T3, 'hex');
    expect(frameFor(t3, 'plain').equals(t3)).to.equal(true);
    expect(frameFor(t3, 'prefixed').toString('hex')).to.equal(`00000055${T3}`);
  });

  for (const [release, capture] of Object.entries(WIRE_RELEASES.event_pub)) {
    for (const chunkSize of [1, 7, 4096]) {
      it(`reads the bytes a real ${release} master published, in chunks of ${chunkSize}`, () => {
        const { tags, framings } = readAll(Buffer.from(capture.hex, 'hex'), chunkSize);
        expect(tags).to.have.length(capture.frames ?? 3);
        expect(tags[1]).to.equal('test/tag');
        expect(framings.every((f) => f === saltRelease(release).publishFraming)).to.equal(true);
      });
    }
  }

  it('reads plain and prefixed frames mixed in one stream, frame by frame', () => {
    const a = packEventFrame({ tag: 'a', data: { n: 1 } });
    const b = packEventFrame({ tag: 'b', data: { n: 2 } });
    const stream = Buffer.concat([frameFor(a, 'prefixed'), frameFor(b, 'plain'), frameFor(a, 'plain'), frameFor(b, 'prefixed')]);
    expect(readAll(stream, 3)).to.deep.equal({ tags: ['a', 'b', 'a', 'b'], framings: ['prefixed', 'plain', 'plain', 'prefixed'] });
  });

  it('refuses a length no bus frame can have', () => {
    const reader = new BusFrameReader(() => undefined);
    expect(() => reader.push(Buffer.from([0, 0, 0, 0]))).to.throw(/impossible frame length 0/);
  });
});

describe('the API in front of each release generation', function () {
  this.timeout(20000);

  for (const release of RELEASE_GENERATIONS) {
    describe(`Salt ${release}`, () => {
      let h: Harness;
      let token: string;
      before(async () => {
        h = await startHarness({ sandbox: { release } });
        token = await login(h);
      });
      after(() => h.close());

      it('logs in, runs a job and delivers a webhook event the master republishes', async () => {
        const ran = await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'local', tgt: '*', fun: 'test.ping' }]).expect(200);
        expect(ran.body).to.deep.equal({ return: [{ 'minion-1': true, 'minion-2': true }] });
        for (let i = 0; i < 3; i++) {
          const hook = await h.http.post(`/hook/release/${i}`).set('X-Auth-Token', token).send({ i }).expect(200);
          expect(hook.body).to.deep.equal({ success: true });
        }
      });
    });
  }
});

describe('a master that refuses the request protocol', () => {
  let h: Harness;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-releases-'));
    h = await startHarness({ sandbox: { minimumAuthVersion: 4 }, logFile: path.join(dir, 'api.log') });
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 502 naming minimum_auth_version, never "login failed", and logs it once', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await h.http.post('/login').set('Accept', 'application/json').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(502);
      expect(res.body.status).to.equal(502);
      expect(res.body.return).to.match(/"bad load".*minimum_auth_version/);
    }
    // Log lines are written asynchronously: wait until they are all on disk.
    await flushLogs();
    const lines = readFileSync(path.join(dir, 'api.log'), 'utf8').split('\n').filter((line) => line.includes('minimum_auth_version'));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/answers "bad load" to every request/);
  });
});

describe("3008's own error replies (salt-versions.md §7)", () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness({ sandbox: { release: '3008.2' } });
    token = await login(h);
  });
  after(() => h.close());

  for (const error of ['Routing error', 'No client for pool auth']) {
    it(`answers 502 with the master's words for {"error": "${error}"}, not a refused login`, async () => {
      h.sandbox.injectReply({ error });
      const res = await h.http.post('/login').set('Accept', 'application/json').send({ username: 'saltdev', password: 'saltdev', eauth: 'auto' }).expect(502);
      expect(res.body).to.deep.equal({ status: 502, return: `The Salt master could not handle the request: ${error}` });
    });
  }

  it('answers 502 for a publish the job cache failed on', async () => {
    h.sandbox.injectReply({ error: 'Failed to save the job load', success: false });
    const res = await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'local_async', tgt: '*', fun: 'test.ping' }]);
    // The session check may use the cached token, so the injected reply meets the publish.
    expect(res.status).to.equal(502);
    expect(res.body.return).to.equal('The Salt master could not handle the request: Failed to save the job load');
  });
});

describe('webhook events in a configured framing', function () {
  this.timeout(20000);

  for (const [release, framing, published] of [
    ['3007.14', 'plain', true],
    ['3008.2', 'prefixed', true],
    ['3008.2', 'plain', false],
    ['3006.27', 'plain', false],
  ] as const) {
    it(`${framing} on ${release}: ${published ? 'published' : 'reported as not published, never lost silently'}`, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-framing-'));
      const h = await startHarness({ sandbox: { release }, api: { event_pull_framing: framing }, logFile: path.join(dir, 'api.log') });
      try {
        const token = await login(h);
        const res = await h.http.post('/hook/framed').set('X-Auth-Token', token).send({ a: 1 }).expect(200);
        expect(res.body).to.deep.equal({ success: published });
        await flushLogs();
        const log = readFileSync(path.join(dir, 'api.log'), 'utf8');
        expect(/webhook event salt\/netapi\/hook\/framed not published: the master did not republish it/.test(log)).to.equal(!published);
      } finally {
        await h.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
