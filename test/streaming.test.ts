/**
 * Big answers are rendered in chunks and streamed: the chunks put together are byte for byte the
 * whole rendering (JSON and YAML, generated many-minion documents and real grains), a big answer
 * goes out chunked while small ones keep their Content-Length, a client leaving mid-stream stops
 * the rendering, and other requests are answered while a big answer is under way.
 */
import http, { type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { expect } from 'chai';
import fc from 'fast-check';
import { load } from 'js-yaml';
import { renderJsonBytes, renderJsonChunks } from '../serializers/json-render.js';
import { renderYamlBytes, renderYamlChunks } from '../serializers/yaml-emitter.js';
import { createDefaultRegistry, jsonSerializer, yamlSerializer, type Serializer } from '../serializers/index.js';
import type { ChunkOptions } from '../serializers/chunks.js';
import { renderReply } from '../middleware/replyBody.js';
import { PackedValue } from '../src/salt/packedValue.js';
import { setMember } from '../serializers/set-member.js';
import { packNewSpec, unpack } from '../src/salt/codec.js';
import { defaultGrains } from '../src/sandbox/grains.js';
import type { SaltValue } from '../src/salt/types.js';
import { startHarness, login, type Harness } from './support/harness.js';
import { seeded } from './support/fuzz.js';

/** The chunks of a chunked rendering, empty ones (turns for the event loop) left out, put together. */
function joined(chunks: Iterable<Uint8Array>): Buffer {
  return Buffer.concat([...chunks].filter((chunk) => chunk.length > 0));
}

/** What the master's msgpack would hand over: PyFloat boxes, bigints, key orders and types. */
function decoded(value: unknown): SaltValue {
  return unpack(packNewSpec(value));
}

const TEXT = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom('', ' ', 'yes', 'NO', '1.0', '0x1f', '2024-01-01', 'a: b', '- x', '#', 'multi\nline', 'tab\t', 'nul\0', '\u2028', '😀', 'Grüße', "it's", 'x'.repeat(130), 'word '.repeat(30)),
);
const KEY = fc.oneof({ weight: 4, arbitrary: TEXT }, { weight: 1, arbitrary: fc.constantFrom('0', '1', '9', '10', '4294967294', '4294967295', '-1', '01') });
const LEAF = fc.oneof(
  TEXT,
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 6 }),
);
const { value: VALUE } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    LEAF,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(KEY, tie('value'), { maxKeys: 5 }),
    // Non-str keys (ints, floats, bools, None), as a Python dict may have them.
    fc.array(fc.tuple(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null)), tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
  ),
}));
const MINIONS = fc.dictionary(fc.oneof(fc.string({ minLength: 1, maxLength: 10 }), fc.integer({ min: 0, max: 99 }).map(String)), VALUE, { minKeys: 1, maxKeys: 30 });

/** Small chunks and slices, so that every document crosses many chunk boundaries. */
const TINY = fc.record({ chunkSize: fc.integer({ min: 1, max: 600 }), sliceNodes: fc.integer({ min: 1, max: 7 }) });

describe('chunked rendering (serializers/chunks.ts)', () => {
  it('JSON and YAML chunks put together are the whole rendering, byte for byte, for generated many-minion answers', () => {
    fc.assert(
      fc.property(MINIONS, TINY, (minions, options: ChunkOptions) => {
        const answer = decoded({ return: [minions] });
        expect(joined(renderJsonChunks(answer, options)).equals(renderJsonBytes(answer))).to.equal(true);
        expect(joined(renderYamlChunks(answer, options)).equals(renderYamlBytes(answer))).to.equal(true);
      }),
      seeded(300),
    );
  });

  it('keeps YAML anchors identical when minions share containers (the shape of GET /jobs/<jid>)', () => {
    fc.assert(
      fc.property(MINIONS, TINY, (minions, options: ChunkOptions) => {
        const returns = decoded(minions) as Record<string, SaltValue>;
        const result: Record<string, SaltValue> = {};
        for (const [id, value] of Object.entries(returns)) setMember(result, id, { return: value, retcode: 0 });
        const answer = { info: [{ Function: 'grains.items', Result: result }], return: [returns] };
        const whole = renderYamlBytes(answer);
        expect(joined(renderYamlChunks(answer, options)).equals(whole)).to.equal(true);
        expect(joined(renderJsonChunks(answer, options)).equals(renderJsonBytes(answer))).to.equal(true);
      }),
      seeded(150),
    );
  });

  it('renders real grains.items answers (1,000 minions) in several chunks, identical to the whole rendering', () => {
    const minions: Record<string, SaltValue> = {};
    for (let i = 0; i < 1000; i++) minions[`minion-${i}`] = defaultGrains(`minion-${i}`, i);
    const answer = decoded({ return: [minions] });
    for (const [whole, chunked] of [
      [renderJsonBytes, renderJsonChunks],
      [renderYamlBytes, renderYamlChunks],
    ] as const) {
      const chunks = [...chunked(answer, { chunkSize: 256 * 1024, sliceNodes: 20_000 })].filter((chunk) => chunk.length > 0);
      expect(chunks.length).to.be.greaterThan(5);
      expect(Buffer.concat(chunks).equals(whole(answer))).to.equal(true);
    }
  });

  it('refuses an unserializable value before the first chunk, wherever it sits', async () => {
    const minions: Record<string, unknown> = {};
    for (let i = 0; i < 2000; i++) minions[`minion-${i}`] = { ok: 'x'.repeat(100) };
    minions['minion-1999'] = { bad: new Date(0) };
    const chunks = renderJsonChunks({ return: [minions] }, { chunkSize: 1024, sliceNodes: 100 })[Symbol.iterator]();
    expect(() => {
      for (let next = chunks.next(); next.done !== true; next = chunks.next()) expect(next.value.length).to.equal(0);
    }).to.throw('Could not serialize');
    let failure: unknown;
    await renderReply(jsonSerializer, { return: [minions] }, { chunkSize: 1024, sliceNodes: 100 }).catch((error: unknown) => (failure = error));
    expect(String(failure)).to.contain('Could not serialize');
  });

  it('a serializer without renderChunks renders whole; small answers come back as one Buffer', async () => {
    const wholeOnly: Serializer = { name: 'json', mediaTypes: ['application/json'], render: jsonSerializer.render! };
    const big = { return: [Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`m${i}`, 'y'.repeat(100)]))] };
    const whole = await renderReply(wholeOnly, big);
    expect(Buffer.isBuffer(whole)).to.equal(true);
    const small = await renderReply(jsonSerializer, { return: [{ 'minion-1': true }] });
    expect(Buffer.isBuffer(small)).to.equal(true);
    expect(small.toString()).to.equal('{"return": [{"minion-1": true}]}');
  });

  it('a stream destroyed mid-way abandons the rendering', async () => {
    let pulled = 0;
    let finished = false;
    let abandoned = false;
    const counting: Serializer = {
      ...jsonSerializer,
      *renderChunks(value, options) {
        try {
          for (const chunk of jsonSerializer.renderChunks!(value, options)) {
            pulled++;
            yield chunk;
          }
          finished = true;
        } finally {
          abandoned = !finished;
        }
      },
    };
    const big = { return: [Object.fromEntries(Array.from({ length: 20000 }, (_, i) => [`minion-${i}`, 'z'.repeat(200)]))] };
    const body = await renderReply(counting, big, { chunkSize: 16 * 1024, sliceNodes: 1000 });
    expect(body).to.have.property('readable', true);
    const stream = body as NodeJS.ReadableStream & { destroy(): void; once(event: string, listener: () => void): void };
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve as () => void));
    expect(first.length).to.be.greaterThan(0);
    stream.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(abandoned).to.equal(true);
    expect(finished).to.equal(false);
    const pulledAtDestroy = pulled;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pulled).to.equal(pulledAtDestroy);
  });
});

/** A GET whose response is handed over as soon as its headers are in, unread. */
function open(url: string, path: string, headers: Record<string, string>): Promise<{ res: IncomingMessage; abort(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(path, url), { headers }, (res) => resolve({ res, abort: () => req.destroy() }));
    req.on('error', reject);
  });
}

async function readAll(res: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('small answers rendered whole (middleware/replyBody.ts)', () => {
  /** JSON whose renderChunks counts its calls. */
  function counting(): { serializer: Serializer; calls: () => number } {
    let calls = 0;
    const serializer: Serializer = {
      ...jsonSerializer,
      renderChunks(value, options) {
        calls++;
        return jsonSerializer.renderChunks!(value, options);
      },
    };
    return { serializer, calls: () => calls };
  }

  async function bytesOf(body: string | Buffer | Readable): Promise<Buffer> {
    if (typeof body === 'string') return Buffer.from(body);
    return Buffer.isBuffer(body) ? body : readAll(body);
  }

  it('renders an answer within the limits whole, without the chunk iterator, and one past any limit through it, with the same bytes', async () => {
    const login = { return: [{ token: 'a'.repeat(40), expire: 1764777600.5, start: 1764734400.5, user: 'saltdev', eauth: 'auto', perms: ['.*', '@runner'] }] };
    let deep: unknown = 'leaf';
    for (let i = 0; i < 17; i++) deep = [deep];
    const past = {
      'too many values': { return: [Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`m${i}`, true]))] },
      'too much text': { return: ['x'.repeat(5000)] },
      'too deep': { return: deep },
      'still packed': { return: [{ 'minion-1': new PackedValue(packNewSpec({ a: 1 })) }] },
    };
    const small = counting();
    const answer = await renderReply(small.serializer, login);
    expect(small.calls()).to.equal(0);
    expect(Buffer.isBuffer(answer)).to.equal(true);
    expect((await bytesOf(answer)).equals(renderJsonBytes(login))).to.equal(true);
    for (const [name, value] of Object.entries(past)) {
      const big = counting();
      const body = await renderReply(big.serializer, value);
      expect(big.calls(), name).to.equal(1);
      expect((await bytesOf(body)).equals(renderJsonBytes(value)), name).to.equal(true);
    }
  });

  it('gives every generated answer the bytes of its whole rendering, small or not', async () => {
    await fc.assert(
      fc.asyncProperty(MINIONS, async (minions) => {
        const answer = decoded({ return: [minions] });
        for (const serializer of [jsonSerializer, yamlSerializer]) {
          expect((await bytesOf(await renderReply(serializer, answer))).equals(Buffer.from(serializer.render!(answer)))).to.equal(true);
        }
      }),
      seeded(100),
    );
  });
});

describe('streamed answers over HTTP', function () {
  this.timeout(120_000);
  const MINIONS_COUNT = 3000;
  let h: Harness;
  let token: string;
  /** Set by the test while a probe is out: what the rendering saw when it ended. */
  const watch = { probeAnswered: false, endedBeforeProbe: undefined as boolean | undefined, abandoned: 0 };
  const watched: Serializer = {
    ...jsonSerializer,
    *renderChunks(value, options) {
      let chunks = 0;
      let ended = false;
      try {
        for (const chunk of jsonSerializer.renderChunks!(value, options)) {
          if (chunk.length > 0) chunks++;
          yield chunk;
        }
        ended = true;
        // Only big answers are watched: the probe's own is one chunk.
        if (chunks > 1) watch.endedBeforeProbe = !watch.probeAnswered;
      } finally {
        if (!ended) watch.abandoned++;
      }
    },
  };

  before(async () => {
    h = await startHarness({ sandbox: { minions: MINIONS_COUNT }, server: { registry: createDefaultRegistry().register(watched) } });
    token = await login(h);
  });
  after(async () => {
    await h.close();
  });

  it('a big answer arrives chunked, without Content-Length, and parses to the same value in JSON and YAML', async () => {
    const json = await open(h.url, '/minions', { 'X-Auth-Token': token, Accept: 'application/json' });
    expect(json.res.statusCode).to.equal(200);
    expect(json.res.headers['content-type']).to.equal('application/json');
    expect(json.res.headers['transfer-encoding']).to.equal('chunked');
    expect(json.res.headers).not.to.have.property('content-length');
    const fromJson = JSON.parse((await readAll(json.res)).toString('utf8')) as { return: Record<string, Record<string, unknown>>[] };
    expect(Object.keys(fromJson.return[0]!)).to.have.length(MINIONS_COUNT);
    expect(fromJson.return[0]!['minion-42']).to.include({ id: 'minion-42', os: 'Debian' });

    const yaml = await open(h.url, '/minions', { 'X-Auth-Token': token, Accept: 'application/x-yaml' });
    expect(yaml.res.headers['content-type']).to.equal('application/x-yaml');
    expect(yaml.res.headers['transfer-encoding']).to.equal('chunked');
    expect(load((await readAll(yaml.res)).toString('utf8'))).to.deep.equal(fromJson);

    const one = await h.http.get('/minions/minion-42').set('X-Auth-Token', token).expect(200);
    expect(one.headers['content-length']).to.equal(String(Buffer.byteLength(one.text)));
    expect(one.body.return[0]['minion-42']).to.deep.equal(fromJson.return[0]!['minion-42']);
  });

  it('GET /jobs/<jid> of a big job streams, and its YAML (anchors included) reads back as its JSON', async () => {
    const run = await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'local_async', tgt: '*', fun: 'grains.items' }]).expect(200);
    const jid = run.body.return[0].jid as string;
    let json: { return: Record<string, unknown>[] } | undefined;
    for (let attempt = 0; attempt < 100; attempt++) {
      const res = await open(h.url, `/jobs/${jid}`, { 'X-Auth-Token': token });
      json = JSON.parse((await readAll(res.res)).toString('utf8')) as { return: Record<string, unknown>[] };
      if (Object.keys(json.return[0]!).length === MINIONS_COUNT) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(Object.keys(json!.return[0]!)).to.have.length(MINIONS_COUNT);
    const yaml = await open(h.url, `/jobs/${jid}`, { 'X-Auth-Token': token, Accept: 'application/x-yaml' });
    expect(yaml.res.headers['transfer-encoding']).to.equal('chunked');
    const text = (await readAll(yaml.res)).toString('utf8');
    expect(text).to.contain('&id001');
    expect(load(text)).to.deep.equal(json);
  });

  it('a probe is answered while a big answer is held up by its client, which then gets all of it', async () => {
    watch.probeAnswered = false;
    watch.endedBeforeProbe = undefined;
    const big = await open(h.url, '/minions', { 'X-Auth-Token': token });
    // Not reading: once the socket buffers are full the server can render no further.
    big.res.pause();
    const probe = await h.http.get('/').expect(200);
    expect(probe.text.length).to.be.greaterThan(0);
    watch.probeAnswered = true;
    const body = JSON.parse((await readAll(big.res)).toString('utf8')) as { return: Record<string, unknown>[] };
    expect(Object.keys(body.return[0]!)).to.have.length(MINIONS_COUNT);
    expect(watch.endedBeforeProbe).to.equal(false);
  });

  it('a client leaving mid-stream stops the rendering, and the server goes on serving', async () => {
    watch.abandoned = 0;
    for (let i = 0; i < 3; i++) {
      const big = await open(h.url, '/minions', { 'X-Auth-Token': token, Accept: i % 2 === 0 ? 'application/json' : 'application/x-yaml' });
      await new Promise((resolve) => big.res.once('data', resolve));
      big.abort();
    }
    await h.http.get('/').expect(200);
    // The two JSON ones went through the watched renderer; each was left unfinished.
    for (let wait = 0; wait < 100 && watch.abandoned < 2; wait++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(watch.abandoned).to.equal(2);
    const whole = await open(h.url, '/minions', { 'X-Auth-Token': token });
    const body = JSON.parse((await readAll(whole.res)).toString('utf8')) as { return: Record<string, unknown>[] };
    expect(Object.keys(body.return[0]!)).to.have.length(MINIONS_COUNT);
  });
});
