/**
 * Frames that span chunks: the msgpack extent scanner and the bus frame reader against every
 * msgpack header width, cut at arbitrary points, and a 20 MB event in socket-sized chunks.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { BusFrameReader, frameFor, type BusFraming } from '../src/salt/busFraming.js';
import { decodeOne, packEventFrame, parseEventBody, frameBody, unpack, unpackSliced } from '../src/salt/codec.js';
import { MsgpackExtent, valueEnd } from '../src/salt/msgpackExtent.js';
import { defaultGrains } from '../src/sandbox/grains.js';
import type { SaltMap, SaltValue } from '../src/salt/types.js';
import { seeded } from './support/fuzz.js';
import { msgpackValue, pick } from './support/msgpackArbitraries.js';

/** Any byte string cut into pieces at the given points (sorted, deduplicated, within range). */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of [...at, bytes.length]) {
    pieces.push(bytes.subarray(from, point));
    from = point;
  }
  return pieces;
}

/** A `{head, data}` map around a value, so a plain frame starts with a map byte as a real one does. */
function frameAround(value: Buffer): Buffer {
  const key = (text: string) => Buffer.concat([Buffer.from([0xa0 | text.length]), Buffer.from(text)]);
  return Buffer.concat([Buffer.from([0x82]), key('head'), Buffer.from([0x80]), key('data'), value]);
}

describe('msgpack extent', () => {
  it('finds the end of any value, whatever its header widths and wherever the chunks are cut', () => {
    fc.assert(
      fc.property(msgpackValue, fc.array(fc.nat(), { maxLength: 8 }), fc.uint8Array({ maxLength: 5 }), (value, points, trailing) => {
        expect(decodeOne(value)?.end).to.equal(value.length);
        const whole = Buffer.concat([value, trailing]);
        expect(valueEnd(whole, 0, whole.length)).to.equal(value.length);
        expect(() => valueEnd(value, 0, value.length - 1)).to.throw('incomplete');
        const extent = new MsgpackExtent();
        let seen = 0;
        let end = -1;
        for (const piece of cut(Buffer.concat([value, trailing]), points)) {
          end = extent.scan(piece);
          if (end >= 0) {
            end += seen;
            break;
          }
          seen += piece.length;
        }
        expect(end).to.equal(value.length);
      }),
      seeded(500),
    );
  });

  it('refuses the byte that starts no msgpack value', () => {
    expect(() => new MsgpackExtent().scan(Buffer.from([0x92, 0x01, 0xc1]))).to.throw(/0xc1/);
  });
});

describe('msgpack decoded in slices', () => {
  it('gives the value a whole decode gives, for any value and any slice size', async () => {
    await fc.assert(
      fc.asyncProperty(msgpackValue, fc.integer({ min: 1, max: 64 }), async (bytes, sliceBytes) => {
        let pauses = 0;
        const sliced = await unpackSliced(bytes, () => Promise.resolve(void pauses++), sliceBytes);
        expect(sliced).to.deep.equal(unpack(bytes));
      }),
      seeded(300),
    );
  });

  it('pauses about once per slice of a 20 MB event, between minions', async () => {
    const result: SaltMap = {};
    for (let i = 0; i < 10_000; i++) result[`minion-${i}`] = { return: defaultGrains(`minion-${i}`, i), retcode: 0, success: true };
    const payload = Buffer.from(frameBody(decodeOne(packEventFrame({ tag: 't', data: { return: result as SaltValue } }))!.value)!);
    const data = payload.subarray(payload.indexOf('\n\n') + 2);
    let pauses = 0;
    const sliced = await unpackSliced(data, () => Promise.resolve(void pauses++), 256 * 1024);
    expect(sliced).to.deep.equal(unpack(data));
    // Each pause comes after at least a slice; a slice ends at most one minion past its size.
    expect(pauses).to.be.within(Math.floor(data.length / (256 * 1024 + 4096)), Math.ceil(data.length / (256 * 1024)));
  });
});

describe('bus frame reader across chunks', () => {
  it('reads plain and prefixed frames cut anywhere as the values they hold', () => {
    const frame = fc.tuple(msgpackValue, pick<BusFraming>(['plain', 'prefixed'])).map(([value, framing]) => ({ bytes: frameAround(value), framing }));
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 12 }), (frames, points) => {
        const read: { value: unknown; framing: BusFraming }[] = [];
        const reader = new BusFrameReader((value, framing) => read.push({ value, framing }));
        for (const piece of cut(Buffer.concat(frames.map((f) => frameFor(f.bytes, f.framing))), points)) reader.push(piece);
        expect(reader.pendingBytes).to.equal(0);
        expect(read).to.deep.equal(frames.map((f) => ({ value: decodeOne(f.bytes)?.value, framing: f.framing })));
      }),
      seeded(300),
    );
  });

  for (const framing of ['plain', 'prefixed'] as const) {
    it(`reads a 20 MB ${framing} event (/jobs/<jid> of 10,000 minions) arriving in 64 KiB chunks`, () => {
      const result: SaltMap = {};
      for (let i = 0; i < 10_000; i++) result[`minion-${i}`] = { return: defaultGrains(`minion-${i}`, i), retcode: 0, success: true };
      const frame = frameFor(packEventFrame({ tag: 'salt/run/20261203111111111111/ret', data: { return: { Result: result } as SaltValue } }), framing);
      expect(frame.length).to.be.greaterThan(16 * 2 ** 20);
      const events: unknown[] = [];
      let held = 0;
      const reader = new BusFrameReader((value) => events.push(parseEventBody(frameBody(value)!)));
      for (let at = 0; at < frame.length; at += 65_536) {
        reader.push(frame.subarray(at, at + 65_536));
        held = Math.max(held, reader.pendingBytes);
      }
      expect(events).to.have.length(1);
      expect(held).to.be.lessThan(frame.length);
      const event = events[0] as { tag: string; data: { return: { Result: Record<string, { return: { id: string } }> } } };
      expect(event.tag).to.equal('salt/run/20261203111111111111/ret');
      expect(Object.keys(event.data.return.Result)).to.have.length(10_000);
      expect(event.data.return.Result['minion-9999']?.return).to.deep.equal(defaultGrains('minion-9999', 9999));
    });
  }

  it('drops a gathered plain frame holding a byte that starts no msgpack value', () => {
    const reader = new BusFrameReader(() => undefined);
    reader.push(Buffer.from([0x82, 0xa4, ...Buffer.from('head'), 0x80, 0xa4, ...Buffer.from('data'), 0x92]));
    expect(reader.pendingBytes).to.be.greaterThan(0);
    expect(() => reader.push(Buffer.from([0x01, 0xc1]))).to.throw(/0xc1/);
  });
});
