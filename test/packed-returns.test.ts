/**
 * Big minion returns kept packed until they are rendered (src/salt/packedValue.ts): read off the
 * bus as the value a whole decode gives, rendered byte for byte as that value is, handed decoded
 * to code and serializers that look inside, and carried through the API to JSON, YAML and event
 * streams alike.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { load } from 'js-yaml';
import { unpack as msgpackrUnpack } from 'msgpackr';
import { parseEventBody, packNewSpec, MsgpackExt } from '../src/salt/codec.js';
import { PackedValue, unpackAll } from '../src/salt/packedValue.js';
import { stillRunning } from '../src/salt/clients/jobWatch.js';
import { listsFunction } from '../src/salt/clients/subset.js';
import type { EventFrame, SaltMap, SaltValue } from '../src/salt/types.js';
import { renderJsonBytes, renderJsonChunks } from '../serializers/json-render.js';
import { renderYamlBytes, renderYamlChunks } from '../serializers/yaml-emitter.js';
import { attachKeyOrder, dictInfo } from '../serializers/python-values.js';
import { seeded } from './support/fuzz.js';
import { msgpackValue } from './support/msgpackArbitraries.js';
import { openSse, type SseClient } from './support/sseClient.js';
import { startHarness, login, type Harness } from './support/harness.js';

const RETURN_TAG = 'salt/job/20261203134500123456/ret/minion-1';

const key = (text: string) => Buffer.concat([Buffer.from([0xa0 | text.length]), Buffer.from(text)]);

/** An event body whose data is `{id, return: <value>, retcode: 0}`, the value given as raw msgpack. */
function returnEvent(tag: string, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${tag}\n\n`), Buffer.from([0x83]), key('id'), key('minion-1'), key('return'), value, key('retcode'), Buffer.from([0x00])]);
}

function parsed(body: Buffer, packReturnsFrom?: number): EventFrame {
  const event = parseEventBody(body, packReturnsFrom);
  if (!event) throw new Error('no event');
  return event;
}

/**
 * Whether msgpack bytes hold an extension type Salt does not define anywhere, even under a key a
 * later duplicate overrides. msgpackr, which knows none of the generated types, is the judge.
 */
function holdsUnknownExt(bytes: Buffer): boolean {
  try {
    msgpackrUnpack(bytes);
    return false;
  } catch (error) {
    if (/Unknown extension/.test(String(error))) return true;
    throw error;
  }
}

function joined(chunks: Iterable<Uint8Array>): Buffer {
  return Buffer.concat([...chunks]);
}

/** What rendering gives: the bytes, or the error's message. */
function outcome(render: () => Buffer): string {
  try {
    return render().toString('hex');
  } catch (error) {
    return `throws ${String(error)}`;
  }
}

const TINY_CHUNKS = { chunkSize: 16, sliceNodes: 3 };

describe('minion returns kept packed (src/salt/packedValue.ts)', () => {
  it('reads a minion return event with its return packed, as the value a whole decode gives', () => {
    fc.assert(
      fc.property(msgpackValue, (value) => {
        const body = returnEvent(RETURN_TAG, value);
        const packed = parsed(body, 0);
        const whole = parsed(body);
        // Extension types Salt does not define are read at once (JSON refuses them).
        if (holdsUnknownExt(value)) {
          expect(packed.data.return).not.to.be.an.instanceOf(PackedValue);
        } else {
          expect(packed.data.return).to.be.an.instanceOf(PackedValue);
          expect(Buffer.from((packed.data.return as PackedValue).bytes).equals(value)).to.equal(true);
        }
        expect(unpackAll(packed.data)).to.deep.equal(whole.data);
        expect(packed.tag).to.equal(whole.tag);
      }),
      seeded(500),
    );
  });

  it('keeps smaller returns, the other members and other events decoded', () => {
    const value = packNewSpec({ os: 'Debian', cpu_flags: ['fpu', 'vme'] });
    const atSize = parsed(returnEvent(RETURN_TAG, value), value.length);
    expect(atSize.data.return).to.be.an.instanceOf(PackedValue);
    const below = parsed(returnEvent(RETURN_TAG, value), value.length + 1);
    expect(below.data.return).to.deep.equal({ os: 'Debian', cpu_flags: ['fpu', 'vme'] });
    expect(atSize.data.id).to.equal('minion-1');
    for (const tag of ['salt/job/20261203134500123456/new', 'salt/run/20261203134500123456/ret', 'salt/job/x/ret', 'my/salt/job/1/ret/m']) {
      expect(parsed(returnEvent(tag, value), 0).data.return, tag).to.deep.equal({ os: 'Debian', cpu_flags: ['fpu', 'vme'] });
    }
  });

  it('reads a foreign extension at once, even one inside a Salt constant or under a key repeated later', () => {
    const ext = (type: number, data: Buffer) => Buffer.concat([Buffer.from([0xc7, data.length, type]), data]);
    const constantOf = (value: Buffer) => ext(79, Buffer.concat([Buffer.from([0x92]), key('NAME'), value]));
    const inConstant = parsed(returnEvent(RETURN_TAG, Buffer.concat([Buffer.from([0x91]), constantOf(ext(5, Buffer.from('xy')))])), 0);
    expect(inConstant.data.return).to.deep.equal([new MsgpackExt(5, Buffer.from('xy'))]);
    // The repeated key's last value wins, so the decoded map holds no extension, and renders as JSON.
    const overwritten = parsed(returnEvent(RETURN_TAG, Buffer.concat([Buffer.from([0x82]), key('k'), ext(1, Buffer.alloc(0)), key('k'), Buffer.from([0x01])])), 0);
    expect(overwritten.data.return).to.deep.equal({ k: 1 });
    const salts = parsed(returnEvent(RETURN_TAG, Buffer.concat([Buffer.from([0x92]), constantOf(Buffer.from([0x07])), ext(78, Buffer.from('20261203T13:45:00.000001'))])), 0);
    expect(salts.data.return).to.be.an.instanceOf(PackedValue);
    expect(unpackAll(salts.data.return)).to.deep.equal([7, '2026-12-03T13:45:00.000001']);
  });

  it('refuses a cut-off return as a whole decode does', () => {
    const value = packNewSpec({ grains: 'x'.repeat(2000) });
    const body = returnEvent(RETURN_TAG, value);
    for (const end of [body.length - 1, body.indexOf(value) + 3, body.indexOf(value) + value.length - 1]) {
      const cut = body.subarray(0, end);
      expect(() => parseEventBody(cut), `whole, cut at ${end}`).to.throw();
      expect(() => parseEventBody(cut, 0), `packed, cut at ${end}`).to.throw();
    }
  });

  it('renders packed returns byte for byte as their decoded values, in JSON and YAML, whole and in chunks', () => {
    fc.assert(
      fc.property(fc.array(msgpackValue, { minLength: 1, maxLength: 4 }), (values) => {
        const packed: SaltMap = {};
        const decoded: SaltMap = {};
        values.forEach((value, i) => {
          const body = returnEvent(`salt/job/20261203134500123456/ret/minion-${i}`, value);
          packed[`minion-${i}`] = parsed(body, 0).data.return as SaltValue;
          decoded[`minion-${i}`] = parsed(body).data.return as SaltValue;
        });
        const [a, b] = [{ return: [packed] }, { return: [decoded] }];
        expect(outcome(() => renderJsonBytes(a))).to.equal(outcome(() => renderJsonBytes(b)));
        expect(outcome(() => joined(renderJsonChunks(a, TINY_CHUNKS)))).to.equal(outcome(() => joined(renderJsonChunks(b, TINY_CHUNKS))));
        expect(renderYamlBytes(a).equals(renderYamlBytes(b))).to.equal(true);
        expect(joined(renderYamlChunks(a, TINY_CHUNKS)).equals(renderYamlBytes(b))).to.equal(true);
      }),
      seeded(300),
    );
  });

  it('hands other serializers the answer decoded, copying only what held a packed value', () => {
    const packed = parsed(returnEvent(RETURN_TAG, packNewSpec({ b: 1, a: [2] })), 0).data.return as PackedValue;
    const untouched = { x: [1, 2] };
    const minions: Record<string, unknown> = { 10: packed, 9: untouched };
    attachKeyOrder(minions, ['10', '9']);
    Object.defineProperty(minions, '__proto__', { value: packed, enumerable: true, writable: true, configurable: true });
    const answer = { return: [minions] };
    const plain = unpackAll(answer) as { return: Record<string, unknown>[] };
    const out = plain.return[0]!;
    expect(out['10']).to.deep.equal({ b: 1, a: [2] });
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).to.deep.equal({ b: 1, a: [2] });
    expect(Object.getPrototypeOf(out)).to.equal(Object.prototype);
    expect(out['9']).to.equal(untouched);
    expect(dictInfo(out)?.order).to.deep.equal(['10', '9']);
    // The answer itself is left as it was: its containers may be shared with the event ring.
    expect(minions['10']).to.equal(packed);
    expect(answer.return[0]).to.equal(minions);
    expect(unpackAll(untouched)).to.equal(untouched);
  });

  it('reads packed find_job and sys.list_functions returns', () => {
    const pack = (value: unknown) => parsed(returnEvent(RETURN_TAG, packNewSpec(value)), 0).data.return as SaltValue;
    expect(stillRunning({ return: pack({}) })).to.equal(false);
    expect(stillRunning({ return: pack({ return: {} }) })).to.equal(false);
    expect(stillRunning({ return: pack({ jid: '20261203134500123456', fun: 'state.apply' }) })).to.equal(true);
    const functions = pack(Array.from({ length: 3000 }, (_, i) => `module${i}.function`).concat('test.ping'));
    expect(listsFunction({ return: functions }, 'test.ping')).to.equal(true);
    expect(listsFunction({ return: functions }, 'test.echo')).to.equal(false);
  });
});

describe('packed returns through the API', function () {
  this.timeout(60_000);
  let h: Harness;
  let token: string;
  let events: SseClient | undefined;
  before(async () => {
    h = await startHarness();
    token = await login(h);
  });
  after(async () => {
    events?.close();
    await h.close();
  });

  it('answers grains.items (returns of 2 KB and more, so packed) alike in JSON, YAML and the event stream', async () => {
    events = await openSse(h.url, `/events?token=${token}`);
    const json = await h.http.post('/').set('X-Auth-Token', token).send([{ client: 'local', tgt: '*', fun: 'grains.items', full_return: true }]).expect(200);
    const answer = json.body.return[0] as Record<string, { ret: Record<string, unknown>; jid: string }>;
    expect(Object.keys(answer)).to.have.length.greaterThan(1);
    for (const [id, full] of Object.entries(answer)) {
      expect(full.ret).to.include({ id });
      expect(Buffer.byteLength(JSON.stringify(full.ret))).to.be.greaterThan(1024);
    }
    const jid = Object.values(answer)[0]!.jid;
    const tags = Object.keys(answer).map((id) => `salt/job/${jid}/ret/${id}`);
    await events.waitFor(() => tags.every((tag) => events!.events().some((block) => block.tag === tag)));
    for (const block of events.events().filter((b) => tags.includes(b.tag ?? ''))) {
      const { data } = JSON.parse(block.data!) as { data: { id: string; return: unknown } };
      expect(data.return).to.deep.equal(answer[data.id]!.ret);
    }
    const yaml = await h.http.post('/').set('X-Auth-Token', token).set('Accept', 'application/x-yaml').send([{ client: 'local', tgt: '*', fun: 'grains.items' }]).expect(200);
    expect(load(yaml.text)).to.deep.equal({ return: [Object.fromEntries(Object.entries(answer).map(([id, full]) => [id, full.ret]))] });
  });
});
