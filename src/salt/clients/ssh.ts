/**
 * `ssh` (netapi-clients.md §7): one chunk becomes one run of the operator's salt-ssh, started with
 * an argv array and never through a shell:
 *
 *   salt-ssh --out=json --static --no-color --config-dir=<dir> --jid=<jid> [--roster-file=<file>]
 *            [target type flag] [ssh option flags] -- <tgt> <fun> [arg…] [name=value…]
 *
 * The gatekeeper has confirmed the credentials with the master; salt-ssh never asks the master,
 * so the minion ACL is checked here, as salt-api does, before anything is started.
 */
import { Errors } from '../../errors.js';
import { sshFunctionPermitted, userAcl } from '../acl.js';
import type { ClientFunction } from '../context.js';
import { secondsField } from '../fields.js';
import { newJid } from '../jid.js';
import { callArgv, funArgs, sshCall } from '../ssh/call.js';
import { sshOptionFlags } from '../ssh/options.js';
import { fullReturns, hostReturns } from '../ssh/output.js';
import { rosterFileFlags } from '../ssh/rosterFile.js';
import { runSaltSsh } from '../ssh/run.js';
import { sshTarget } from '../ssh/target.js';
import { booleanValue, present } from '../ssh/values.js';
import type { SaltMap } from '../types.js';

/** salt-ssh connects and deploys its thin tarball before the function runs: time on top of `timeout`. */
const DEFAULT_MARGIN_S = 60;

export const ssh: ClientFunction = async ({ chunk, token }, salt) => {
  const rawShellValue = present(chunk, 'raw_shell');
  const call = sshCall(chunk, rawShellValue !== undefined && booleanValue('raw_shell', rawShellValue));
  const target = sshTarget(chunk);
  if (!sshFunctionPermitted(userAcl(salt.settings.external_auth, token), call.fun, call.args, call.kwargs)) {
    throw Errors.Authorization();
  }
  const optionFlags = sshOptionFlags(chunk);
  const rosterFlags = await rosterFileFlags(chunk, salt.settings.rosters);
  const timeout = secondsField(chunk, 'timeout', salt.settings.timeout + DEFAULT_MARGIN_S);
  const jid = newJid();
  const argv = [
    '--out=json',
    '--static',
    '--no-color',
    `--config-dir=${salt.settings.salt_ssh_config_dir}`,
    `--jid=${jid}`,
    ...rosterFlags,
    ...target.flags,
    ...optionFlags,
    // Everything after `--` is positional for optparse, whatever it looks like.
    '--',
    target.expression,
    ...callArgv(call),
  ];
  // Last, once the chunk is known good: a refused chunk never holds a slot.
  const release = salt.sshSlots.take();
  salt.log.debug('running salt-ssh', { command: salt.settings.salt_ssh_path, argv, user: token.name });
  // The slot is held while the process lives: past a timeout's 504, until the group is gone.
  const output = await runSaltSsh(salt.settings.salt_ssh_path, argv, timeout * 1000, release);
  let hosts: SaltMap;
  try {
    hosts = hostReturns(output);
  } catch (error) {
    salt.log.warn('salt-ssh output is not a JSON mapping of hosts', { jid, status: output.exitCode, stderr: output.stderr });
    throw error;
  }
  return [fullReturns(hosts, output.exitCode, { fun: call.fun, funArgs: funArgs(call), jid })];
};
