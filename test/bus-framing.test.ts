/**
 * Frames that span chunks: the msgpack extent scanner and the bus frame reader against every
 * msgpack header width, cut at arbitrary points, and a 20 MB event in socket-sized chunks.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { BusFrameReader, frameFor, type BusFraming } from '../src/salt/busFraming.js';
import { decodeOne, packEventFrame, parseEventBody, frameBody, unpack, unpackSliced } from '../src/salt/codec.js';
import { MsgpackExtent } from '../src/salt/msgpackExtent.js';
import { defaultGrains } from '../src/sandbox/grains.js';
import type { SaltMap, SaltValue } from '../src/salt/types.js';
import { seeded } from './support/fuzz.js';

type Width = 0 | 1 | 2 | 4;

function sized(length: number, width: Width, fix: number, codes: Record<1 | 2 | 4, number>): Buffer {
  if (width === 0) return Buffer.from([fix | length]);
  const head = Buffer.alloc(1 + width);
  head[0] = codes[width];
  head.writeUIntBE(length, 1, width);
  return head;
}

/** A width that can hold `length`: the fix form only below `fixLimit`, 1-byte lengths only below 256. */
function widths(length: number, fixLimit: number, withByte = true): Width[] {
  const all: Width[] = length < fixLimit ? [0] : [];
  if (withByte && length < 256) all.push(1);
  return [...all, 2, 4];
}

const pick = <T>(items: T[]) => fc.integer({ min: 0, max: items.length - 1 }).map((i) => items[i]!);

const str = fc
  .string({ maxLength: 40 })
  .chain((text) => {
    const bytes = Buffer.from(text, 'utf8');
    return pick(widths(bytes.length, 32)).map((w) => Buffer.concat([sized(bytes.length, w, 0xa0, { 1: 0xd9, 2: 0xda, 4: 0xdb }), bytes]));
  });

const bin = fc.uint8Array({ maxLength: 40 }).chain((bytes) =>
  pick<1 | 2 | 4>([1, 2, 4]).map((w) => Buffer.concat([sized(bytes.length, w, 0, { 1: 0xc4, 2: 0xc5, 4: 0xc6 }), bytes])),
);

/** Ext types Salt gives no meaning to (78 and 79 are its own). */
const ext = fc.tuple(fc.integer({ min: 1, max: 20 }), fc.uint8Array({ maxLength: 20 }), fc.boolean()).map(([type, data, fixed]) => {
  const fixSizes: Record<number, number> = { 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 };
  if (fixed && fixSizes[data.length] !== undefined) return Buffer.concat([Buffer.from([fixSizes[data.length]!, type]), data]);
  const head = data.length < 256 ? Buffer.from([0xc7, data.length]) : Buffer.from([0xc8, data.length >> 8, data.length & 255]);
  return Buffer.concat([head, Buffer.from([type]), data]);
});

const FIXED_SIZES: Record<number, number> = { 0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8, 0xca: 4, 0xcb: 8 };
const number = fc
  .tuple(pick(Object.keys(FIXED_SIZES).map(Number)), fc.uint8Array({ minLength: 8, maxLength: 8 }))
  .map(([type, bytes]) => Buffer.concat([Buffer.from([type]), bytes.subarray(0, FIXED_SIZES[type])]));

const leaf = fc.oneof(
  fc.integer({ min: 0, max: 127 }).map((n) => Buffer.from([n])),
  fc.integer({ min: 0xe0, max: 0xff }).map((n) => Buffer.from([n])),
  pick([0xc0, 0xc2, 0xc3]).map((b) => Buffer.from([b])),
  number,
  str,
  bin,
  ext,
);

const { value: msgpackValue } = fc.letrec<{ value: Buffer }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 6 }).chain((items) =>
      pick(widths(items.length, 16, false)).map((w) => Buffer.concat([sized(items.length, w, 0x90, { 1: 0, 2: 0xdc, 4: 0xdd }), ...items])),
    ),
    fc.uniqueArray(fc.tuple(str, tie('value')), { maxLength: 6, selector: ([key]) => key.toString('hex') }).chain((members) =>
      pick(widths(members.length, 16, false)).map((w) => Buffer.concat([sized(members.length, w, 0x80, { 1: 0, 2: 0xde, 4: 0xdf }), ...members.flat()])),
    ),
  ),
}));

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
