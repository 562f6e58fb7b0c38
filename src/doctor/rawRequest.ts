/**
 * One request to the master's request server with an envelope the API itself never sends (an
 * older `version`, a load without `cmd`): the doctor's probes of which release it is talking to.
 * A fresh REQ socket each time, since a REQ socket whose reply never came cannot be reused.
 */
import { Request } from 'zeromq';
import { packOldSpec, unpack } from '../salt/codec.js';
import type { SaltMap, SaltValue } from '../salt/types.js';

export type RawReply = { answered: true; value: SaltValue } | { answered: false };

export async function rawRequest(endpoint: string, envelope: SaltMap, timeoutMs: number): Promise<RawReply> {
  const socket = new Request({ linger: 0, sendTimeout: timeoutMs, receiveTimeout: timeoutMs });
  try {
    socket.connect(endpoint);
    // The same msgpack dialect as the API's requests, so only the envelope differs.
    await socket.send(packOldSpec(envelope));
    const [reply] = await socket.receive();
    return reply === undefined ? { answered: false } : { answered: true, value: unpack(reply) };
  } catch {
    return { answered: false };
  } finally {
    socket.close();
  }
}
