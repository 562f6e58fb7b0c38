/** Domain types shared by the HTTP layer, the Salt adapter and the sandbox master. */
import type { PyFloat } from '../../serializers/python-values.js';
import type { PackedValue } from './packedValue.js';

/**
 * Any value that can travel through msgpack and JSON. Python ints beyond 2^53 are bigints and
 * integer-valued floats from the master are {@link PyFloat} boxes (serializers/python-values.ts);
 * a big minion return off the event bus may still be packed ({@link PackedValue}).
 */
export type SaltValue =
  | null
  | boolean
  | number
  | bigint
  | PyFloat
  | string
  | Uint8Array
  | PackedValue
  | SaltValue[]
  | { [key: string]: SaltValue };

export type SaltMap = { [key: string]: SaltValue };

/** The nine netapi client names salt-api knows, in salt's own (alphabetical) order. */
export const CLIENT_NAMES = [
  'local',
  'local_async',
  'local_batch',
  'local_subset',
  'runner',
  'runner_async',
  'ssh',
  'wheel',
  'wheel_async',
] as const;
export type ClientName = (typeof CLIENT_NAMES)[number];

/** One lowstate chunk: a mapping of keyword arguments for one netapi client call. */
export type LowstateChunk = SaltMap & {
  client?: SaltValue;
  token?: SaltValue;
  eauth?: SaltValue;
  username?: SaltValue;
  password?: SaltValue;
  fun?: SaltValue;
  tgt?: SaltValue;
  arg?: SaltValue;
  kwarg?: SaltValue;
};

/** What the HTTP layer hands to the netapi dispatcher: a list of chunks run in order. */
export type Lowstate = LowstateChunk[];

/** A token record of the master's token store, as `mk_token`/`get_token` reply it. */
export interface SaltToken {
  token: string;
  start: number;
  expire: number;
  name: string;
  eauth: string;
  groups?: string[];
  auth_list?: SaltValue[];
}

/** Credentials for the master's eauth system. */
export interface EauthCredentials {
  eauth: string;
  username: string;
  password: string;
  [extra: string]: SaltValue;
}

/** One event of the master event bus. */
export interface EventFrame {
  tag: string;
  data: SaltMap;
}

/** The clear request envelope sent to the master's request server. */
export interface ClearEnvelope {
  enc: 'clear';
  load: SaltMap & { cmd: string };
  version: number;
}

/** The error shape the master replies with when a ClearFuncs command is refused. */
export interface MasterErrorReply {
  error: { name: string; message: string; args?: SaltValue[] };
}
