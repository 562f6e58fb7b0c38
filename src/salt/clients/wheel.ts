/** The `wheel` and `wheel_async` clients (netapi-clients.md §6). */
import type { ClientCall, ClientFunction, SaltContext } from '../context.js';
import { singleFunField } from '../fields.js';
import { newJid } from '../jid.js';
import type { SaltMap } from '../types.js';

/** The chunk goes to the master as it is (wheel arguments are top-level keys), with the confirmed token. */
function wheelLoad(call: ClientCall): SaltMap {
  const { eauth: _eauth, username: _username, password: _password, ...rest } = call.chunk;
  return { ...rest, token: call.token.token };
}

export const wheel: ClientFunction = async (call, salt) => {
  singleFunField(call.chunk, 'wheel');
  return [await salt.master.wheel(wheelLoad(call))];
};

/**
 * The API picks the jid, answers at once and runs the wheel call in the background, as
 * salt-api does. The caller's token was confirmed before we got here, so a bogus token never
 * gets a jid (CVE-2021-25281).
 */
export const wheelAsync: ClientFunction = async (call, salt: SaltContext) => {
  singleFunField(call.chunk, 'wheel_async');
  const jid = newJid();
  const tag = `salt/wheel/${jid}`;
  salt.master
    .wheel({ ...wheelLoad(call), __jid__: jid, __user__: 'UNKNOWN', __tag__: tag })
    .catch((error: unknown) => salt.log.warn(`wheel_async job ${jid} failed`, { error: String(error) }));
  return [{ tag, jid }];
};
