/**
 * salt-ssh's answer. With `--static --out=json` it prints one JSON mapping of host id to that
 * host's return value; salt-api answers with the full per-host return (netapi-clients.md §7), so
 * each value is wrapped with the call's function, arguments, jid, retcode and stamp. The command
 * line reports one exit status for the whole run, which is the retcode of every host.
 */
import { Errors } from '../../errors.js';
import { eventStamp } from '../jid.js';
import { isMap } from '../master.js';
import type { SaltMap, SaltValue } from '../types.js';
import type { SaltSshOutput } from './run.js';

export interface SshReturnMeta {
  fun: string;
  funArgs: SaltValue[];
  jid: string;
}

/** The host → return mapping salt-ssh printed; a 500 saying what was wrong otherwise. */
export function hostReturns(output: SaltSshOutput): SaltMap {
  const text = output.stdout.trim();
  // No matching host: salt-ssh prints nothing and succeeds.
  if (text === '' && output.exitCode === 0) return {};
  if (text === '') throw Errors.SshFailed(`salt-ssh exited with status ${output.exitCode} and printed no output`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw Errors.SshFailed(`salt-ssh printed output that is not JSON (exit status ${output.exitCode})`);
  }
  // JSON.parse only ever yields JSON data, which is SaltValue data.
  const value = parsed as SaltValue;
  if (!isMap(value)) throw Errors.SshFailed(`salt-ssh printed JSON that is not a mapping of hosts (exit status ${output.exitCode})`);
  return value;
}

/** `{<id>: {fun, fun_args, id, jid, retcode, return, _stamp}}`. */
export function fullReturns(hosts: SaltMap, exitCode: number, meta: SshReturnMeta): SaltMap {
  const stamp = eventStamp();
  // fromEntries defines own properties, so a host named `__proto__` stays a host.
  return Object.fromEntries(
    Object.entries(hosts).map(([id, ret]) => [id, { fun: meta.fun, fun_args: meta.funArgs, id, jid: meta.jid, retcode: exitCode, return: ret, _stamp: stamp }]),
  );
}
