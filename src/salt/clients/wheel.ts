/** The `wheel` and `wheel_async` clients (netapi-clients.md §6). */
import { Errors } from '../../errors.js';
import type { ClientCall, ClientFunction, SaltContext } from '../context.js';
import { argField, kwargField, singleFunField } from '../fields.js';
import { newJid } from '../jid.js';
import type { SaltMap } from '../types.js';
import { isMap } from '../master.js';

/**
 * The chunk goes to the master as it is (wheel arguments are top-level keys), with the confirmed
 * token. `arg` and `kwarg`, when given, must still have the types the master unpacks them as.
 */
function wheelLoad(call: ClientCall, client: 'wheel' | 'wheel_async'): SaltMap {
  singleFunField(call.chunk, client);
  argField(call.chunk);
  kwargField(call.chunk);
  const { eauth: _eauth, username: _username, password: _password, ...rest } = call.chunk;
  return { ...rest, token: call.token.token };
}

export const wheel: ClientFunction = async (call, salt) => [await salt.master.wheel(wheelLoad(call, 'wheel'))];

/**
 * The jid a `wheel` call runs under. Until 3008 the master runs the function under the jid we
 * pass, and its `new` event is the sign that the job started. 3008 picks its own jid, which only
 * its reply tells (salt-versions.md §6), so the answer waits for that reply.
 */
async function startedJid(salt: SaltContext, load: SaltMap, jid: string): Promise<string> {
  const tag = `salt/wheel/${jid}`;
  let unwatch = () => {};
  const started = new Promise<string>((resolve) => {
    unwatch = salt.bus.watchJid(jid, { onEvent: (event) => event.tag === `${tag}/new` && resolve(jid), onDown: () => undefined });
  });
  const replied = salt.master.wheel({ ...load, __jid__: jid, __user__: 'UNKNOWN', __tag__: tag }).then(
    (reply) => (isMap(reply.data) && typeof reply.data.jid === 'string' ? reply.data.jid : jid),
    (error: unknown) => {
      salt.log.warn(`wheel_async job ${jid} failed`, { error: String(error) });
      return jid;
    },
  );
  try {
    return await Promise.race([started, replied]);
  } finally {
    unwatch();
  }
}

/**
 * Answers with the job's jid as soon as it is known, as salt-api does. The caller's token was
 * confirmed before we got here, so a bogus token never gets a jid (CVE-2021-25281).
 */
export const wheelAsync: ClientFunction = async (call, salt: SaltContext) => {
  const load = wheelLoad(call, 'wheel_async');
  // Nothing waits for the master's reply, so its event bus is the sign that it is there at all:
  // a jid for a job no master will run would be a lie.
  if (!(await salt.bus.ready())) throw Errors.MasterUnavailable();
  const jid = await startedJid(salt, load, newJid());
  return [{ tag: `salt/wheel/${jid}`, jid }];
};
