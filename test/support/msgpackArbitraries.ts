/**
 * fast-check arbitraries of raw msgpack bytes: every header width of every type (fix forms, 8-,
 * 16- and 32-bit lengths), numbers of every width, and extension types Salt gives no meaning to.
 */
import fc from 'fast-check';

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

export const pick = <T>(items: T[]) => fc.integer({ min: 0, max: items.length - 1 }).map((i) => items[i]!);

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

/** One msgpack value of any type, nested a few levels deep. */
export const { value: msgpackValue } = fc.letrec<{ value: Buffer }>((tie) => ({
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
