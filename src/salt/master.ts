/**
 * Typed calls of the master's ClearFuncs (wire.md §3) over the request channel, with the
 * master's error replies turned into the API's errors (wire.md §3.8).
 */
import os from 'node:os';
import { Errors, type ApiError } from '../errors.js';
import { pythonStr } from './pythonRepr.js';
import { numberOf } from '../../serializers/python-values.js';
import { isSaltMap } from '../../serializers/value-kinds.js';
import type { PoolUsage, RequestChannel, SendOptions } from './requestChannel.js';
import type { LatencySamples } from '../stats/latencySamples.js';
import type { MasterErrorReply, SaltMap, SaltToken, SaltValue } from './types.js';

/**
 * The publish load's `user` must be present (wire.md §3.3); like salt-api we send the OS user,
 * which is what `publisher_acl_blacklist` checks. The master replaces it with the token's name.
 */
const OS_USER = os.userInfo().username;

export interface PublishLoad extends SaltMap {
  tgt: SaltValue;
  fun: SaltValue;
  arg: SaltValue[];
  tgt_type: string;
  ret: string;
  jid: string;
  kwargs: SaltMap;
}

/** What the master answers to an accepted publish. */
export interface PublishResult {
  jid: string;
  minions: string[];
  missing: string[];
}

export interface RunnerReply {
  tag: string;
  jid: string;
}

/** A reply member that is a mapping (serializers/value-kinds.ts). */
export const isMap = isSaltMap;

function isErrorReply(reply: SaltValue): reply is SaltMap & MasterErrorReply {
  return isMap(reply) && isMap(reply.error) && typeof reply.error.name === 'string';
}

/** Map a runner/wheel error reply to the exception salt-api would raise (netapi-clients.md §5.3). */
function commandError(reply: MasterErrorReply): ApiError {
  const { name, message } = reply.error;
  switch (name) {
    case 'TokenAuthenticationError':
    case 'EauthAuthenticationError':
    case 'AuthenticationError':
    case 'AuthorizationError':
      return Errors.MasterAuth(pythonStr(message));
    case 'SaltInvocationError':
      return Errors.SaltInvocation(pythonStr(message));
    default:
      return Errors.Unexpected();
  }
}

/**
 * Failures of the master itself rather than of the command, which 3008 answers with a bare string
 * `error` (salt-versions.md §7): its worker pools' routing errors and a job cache that failed on
 * publish. They are the master's fault, never a refused login or an empty target.
 */
function masterFailure(reply: SaltValue): string | undefined {
  return isMap(reply) && typeof reply.error === 'string' ? reply.error : undefined;
}

/**
 * A token record; `start` and `expire` are Python floats, which an integer value would leave
 * boxed (python-values.ts): the record keeps plain numbers, as everything reading it expects.
 */
function asToken(reply: SaltValue): SaltToken | undefined {
  if (!isMap(reply) || typeof reply.token !== 'string') return undefined;
  if (typeof reply.expire === 'number' && typeof (reply.start ?? 0) === 'number') return reply as unknown as SaltToken;
  const expire = numberOf(reply.expire);
  if (expire === undefined) return undefined;
  const record: SaltMap = { ...reply, expire };
  const start = numberOf(reply.start);
  if (start !== undefined) record.start = start;
  return record as unknown as SaltToken;
}

export class MasterClient {
  constructor(private readonly channel: RequestChannel) {}

  private async send(load: SaltMap & { cmd: string }, options?: SendOptions): Promise<SaltValue> {
    const reply = await this.channel.send(load, options);
    const failure = masterFailure(reply);
    if (failure !== undefined) throw Errors.MasterError(failure);
    return reply;
  }

  /** Round-trip times of this client's requests (for /stats). */
  get roundTrips(): LatencySamples {
    return this.channel.roundTrips;
  }

  /** The connection pool to the master's request server, now (for /metrics). */
  get pool(): PoolUsage {
    return this.channel.usage;
  }

  /** Authenticate with eauth; undefined when the master refuses (it replies ""). */
  async mkToken(credentials: SaltMap): Promise<SaltToken | undefined> {
    return asToken(await this.send({ ...credentials, cmd: 'mk_token' }));
  }

  /** The token's record if it exists and has not expired. */
  async getToken(token: string): Promise<SaltToken | undefined> {
    const record = asToken(await this.send({ cmd: 'get_token', token }));
    return record && record.expire > Date.now() / 1000 ? record : undefined;
  }

  /** Publish a job; undefined when no minion matched the target. */
  async publish(load: PublishLoad, options?: SendOptions): Promise<PublishResult | undefined> {
    const reply = await this.send({ ...load, cmd: 'publish', user: OS_USER, key: '' }, options);
    if (reply === '' || reply === null) throw Errors.MasterAuth('Failed to authenticate! This is most likely because this user is not permitted to execute commands, but there is a small possibility that a disk error occurred (check disk/inode usage).');
    if (isErrorReply(reply)) {
      if (reply.error.name === 'AuthenticationError') throw Errors.Authentication();
      if (reply.error.name === 'AuthorizationError') throw Errors.Authorization();
      throw Errors.PublishFailed(pythonStr(reply.error.message));
    }
    const body = isMap(reply) && isMap(reply.load) ? reply.load : undefined;
    if (!body || typeof body.jid !== 'string' || !body.jid) return undefined;
    const strings = (value: SaltValue | undefined) => (Array.isArray(value) ? value.map(String) : []);
    return { jid: body.jid, minions: strings(body.minions), missing: strings(body.missing) };
  }

  /** Start a runner job; the result arrives on the event bus. */
  async runner(load: SaltMap): Promise<RunnerReply> {
    const reply = await this.send({ ...load, cmd: 'runner' });
    if (isErrorReply(reply)) throw commandError(reply);
    if (!isMap(reply) || typeof reply.jid !== 'string' || typeof reply.tag !== 'string') throw Errors.Unexpected();
    return { tag: reply.tag, jid: reply.jid };
  }

  /** Run a wheel function synchronously in the master; the whole reply is returned. */
  async wheel(load: SaltMap): Promise<SaltMap> {
    const reply = await this.send({ ...load, cmd: 'wheel' });
    if (isErrorReply(reply)) throw commandError(reply);
    if (!isMap(reply)) throw Errors.Unexpected();
    return reply;
  }

  /** Liveness check of the request server. */
  async ping(options?: SendOptions): Promise<boolean> {
    const reply = await this.send({ cmd: 'ping' }, options);
    return isMap(reply);
  }
}
