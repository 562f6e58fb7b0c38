/** The `wheel` and `wheel_async` clients (netapi-clients.md §6). */
import { Errors } from '../../errors.js';
import type { ClientCall, ClientFunction, SaltContext } from '../context.js';
import { argField, kwargField, singleFunField } from '../fields.js';
import { newJid } from '../jid.js';
import type { SaltMap } from '../types.js';

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
 * The API picks the jid, answers at once and runs the wheel call in the background, as
 * salt-api does. The caller's token was confirmed before we got here, so a bogus token never
 * gets a jid (CVE-2021-25281).
 */
export const wheelAsync: ClientFunction = async (call, salt: SaltContext) => {
  const load = wheelLoad(call, 'wheel_async');
  // Nothing waits for the master's reply, so its event bus is the sign that it is there at all:
  // a jid for a job no master will run would be a lie.
  if (!(await salt.bus.ready())) throw Errors.MasterUnavailable();
  const jid = newJid();
  const tag = `salt/wheel/${jid}`;
  salt.master
    .wheel({ ...load, __jid__: jid, __user__: 'UNKNOWN', __tag__: tag })
    .catch((error: unknown) => salt.log.warn(`wheel_async job ${jid} failed`, { error: String(error) }));
  return [{ tag, jid }];
};
