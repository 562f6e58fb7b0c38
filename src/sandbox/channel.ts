/**
 * The master's request channel (`ReqServerChannel.handle_message`): decode one request body,
 * validate the clear envelope and answer malformed requests exactly as a real master does
 * (wire.md §2.2).
 */
import { Unpackr, addExtension } from 'msgpackr';
import { saltExtension } from '../salt/codec.js';
import type { SaltMap, SaltValue } from '../salt/types.js';
import type { ClearFuncs } from './clearFuncs.js';
import type { CommandResult } from './context.js';
import { PyError, isMap } from './python.js';
import { pythonStr } from '../salt/pythonRepr.js';
import { orderedEntries } from '../../serializers/python-values.js';
import { setMember } from '../../serializers/set-member.js';
import { reportUnexpected } from './unexpected.js';
import type { SaltRelease } from '../salt/releases.js';

const GENERIC_FAILURE = 'Some exception handling minion payload';

/**
 * Maps stay `Map`s while decoding: a client may send its keys as bin (the master converts
 * valid UTF-8 bytes to text, keys included), which a plain-object decoder cannot take.
 */
const unpackr = new Unpackr({ mapsAsObjects: false, useRecords: false, int64AsType: 'bigint' });
// Salt's own extension types (78 datetime, 79 constant), read as the master reads them.
for (const type of [78, 79]) addExtension({ type, unpack: (data: Uint8Array) => saltExtension(type, data) });
const INT_LIMIT = 2n ** 53n;
const utf8 = new TextDecoder('utf-8', { fatal: true });

class NotMsgpack extends Error {}

function asText(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Decoded msgpack → SaltValue, with valid UTF-8 bytes turned to text as `salt.payload.loads` does. */
function normalize(value: unknown): SaltValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  // 64-bit ints: exact, as Python reads them; numbers when they fit (python-values.ts).
  if (typeof value === 'bigint') return value > INT_LIMIT || value < -INT_LIMIT ? value : Number(value);
  if (value instanceof Uint8Array) return asText(value) ?? value;
  if (Array.isArray(value)) return value.map(normalize);
  if (value instanceof Map) {
    const out: SaltMap = {};
    for (const [key, item] of value) {
      let name: string;
      if (typeof key === 'string') name = key;
      else if (key instanceof Uint8Array) name = asText(key) ?? Buffer.from(key).toString('latin1');
      else if (key === null || typeof key === 'number' || typeof key === 'boolean') name = pythonStr(key);
      else if (typeof key === 'bigint') name = key.toString();
      else throw new NotMsgpack('unsupported map key');
      setMember(out, name, normalize(item));
    }
    return out;
  }
  // Unknown extension types, 0xc1 and the like are not a Salt payload.
  throw new NotMsgpack('unsupported msgpack value');
}

/** A deep copy of a decoded load for the record, in its key order (structuredClone drops it). */
function copyLoad(value: SaltValue): SaltValue {
  if (Array.isArray(value)) return value.map(copyLoad);
  if (value instanceof Uint8Array) return value.slice();
  if (!isMap(value)) return value;
  const out: SaltMap = {};
  for (const [key, item] of orderedEntries(value)) setMember(out, key, copyLoad(item));
  return out;
}

function decode(body: Uint8Array): SaltValue | NotMsgpack {
  try {
    return normalize(unpackr.unpack(body));
  } catch {
    return new NotMsgpack();
  }
}

function versionOf(payload: SaltMap): number {
  const version = payload.version;
  if (typeof version === 'number') return Math.trunc(version);
  if (typeof version === 'string' && /^\s*[+-]?\d+\s*$/.test(version)) return Number.parseInt(version, 10);
  return 0;
}

export class RequestChannel {
  constructor(
    private readonly clearFuncs: ClearFuncs,
    private readonly record: (load: SaltMap) => void,
    private readonly release: SaltRelease,
    /** `minimum_auth_version` when it differs from the release's default. */
    private readonly minimumAuthVersion = release.minimumAuthVersion,
  ) {}

  async handle(body: Uint8Array): Promise<CommandResult> {
    const payload = decode(body);
    if (payload instanceof NotMsgpack) return { reply: { msg: 'bad load' } };
    if (!isMap(payload) || !('enc' in payload) || !('load' in payload)) return { reply: 'bad load' };
    // The protocol floor is checked before anything else of the load, clear requests included.
    if (this.minimumAuthVersion > 0 && versionOf(payload) < this.minimumAuthVersion) return { reply: 'bad load' };
    const load = payload.load;
    if (!isMap(load)) return { reply: 'payload and load must be a dict' };
    if ('id' in load) {
      if (typeof load.id !== 'string') return { reply: `bad load: id ${pythonStr(load.id)} is not a string` };
      if (load.id.includes('\0')) return { reply: 'bad load: id contains a null byte' };
    }
    this.record(copyLoad(load) as SaltMap);
    // Only clear requests are served: an "aes" payload cannot be decrypted without a minion key.
    if (payload.enc !== 'clear') return { reply: GENERIC_FAILURE };
    if (versionOf(payload) > 1 && !this.release.keepsNonce) delete load.nonce;
    if (!('cmd' in load) && this.release.answersEmptyLoad) return { reply: {} };
    try {
      return await this.clearFuncs.dispatch(load);
    } catch (error) {
      if (!(error instanceof PyError)) reportUnexpected(`command ${pythonStr(load.cmd ?? null)}`, error);
      return { reply: GENERIC_FAILURE };
    }
  }
}
