/**
 * A minion's return kept as the msgpack bytes it arrived in, decoded only when it is rendered.
 *
 * A `local` job on a big fleet holds every minion's return until the last one is in; decoded,
 * `grains.items` of 10,000 minions is about 75 MiB of JavaScript objects, four times its 20 MiB on
 * the wire and three times the JSON answer. Kept packed, it costs its bytes, and the renderers
 * decode one minion at a time while they write it out, so the decoded objects die young.
 *
 * Only the event bus makes these ({@link parseEventBody}'s `packReturnsFrom`), only for the
 * `return` of a minion's job return, and only when it is big enough for this to pay. Code that
 * inspects a return calls {@link unpacked}; the built-in renderers take it as it is, and any other
 * serializer gets the value with every packed member decoded ({@link unpackAll}).
 */
import { setMember } from '../../serializers/set-member.js';
import { isPlainObject } from '../../serializers/value-kinds.js';
import { unpack } from './codec.js';
import type { SaltValue } from './types.js';

export class PackedValue {
  /**
   * @param bytes one msgpack value, in a buffer of its own (never a view that would keep a whole
   *   socket chunk alive), free of extension types Salt does not define: JSON renders all of it
   */
  constructor(readonly bytes: Uint8Array) {}

  /** The value, decoded afresh on every call (nothing of it is kept here). */
  unpack(): SaltValue {
    return unpack(this.bytes);
  }
}

/** The value itself, a packed one decoded. */
export function unpacked<T>(value: T | PackedValue): T | SaltValue {
  return value instanceof PackedValue ? value.unpack() : value;
}

/**
 * The value with every packed member decoded, for a serializer that does not read packed values
 * itself. Containers holding none are returned as they are; the others are copied, not changed
 * in place, since they may be shared with the event ring or another request.
 */
export function unpackAll(value: unknown): unknown {
  if (value instanceof PackedValue) return value.unpack();
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const plain = unpackAll(item);
      if (plain !== item) (copy ??= [...value])[i] = plain;
    }
    return copy ?? value;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const member = value[key];
    const plain = unpackAll(member);
    // A spread copy keeps the key order and key types the mapping carries (python-values.ts).
    if (plain !== member) setMember((copy ??= { ...value }), key, plain);
  }
  return copy ?? value;
}
