/**
 * The salt-ssh options a chunk may carry (netapi-clients.md §7) and the salt-ssh flags they become.
 * Every flag takes its value in the same argv item (`--user=root`), so a value can never be read
 * as an option of its own. Options salt-ssh cannot take safely from a request are refused.
 */
import { Errors } from '../../errors.js';
import type { LowstateChunk, SaltValue } from '../types.js';
import { booleanValue, integerValue, listValue, patternValue, present, secondsValue } from './values.js';

type Translate = (field: string, value: SaltValue) => string[];

const valued =
  (flag: string, read: (field: string, value: SaltValue) => string): Translate =>
  (field, value) => [`${flag}=${read(field, value)}`];
const onOff =
  (flag: string): Translate =>
  (field, value) => (booleanValue(field, value) ? [flag] : []);

const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const MODULE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PYTHON_MODULE = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const HOST = '(?:[A-Za-z0-9][A-Za-z0-9.-]*|\\[[0-9A-Fa-f:.]+\\])';
const FORWARD = new RegExp(`^(?:${HOST}:)?(\\d{1,5}):${HOST}:(\\d{1,5})$`);

const noDotDot = (text: string) => !text.split('/').includes('..');
const isPort = (text: string) => /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535;

function privateKey(field: string, value: SaltValue): string {
  const key = patternValue(field, value, /^(?:agent-forwarding|\/[A-Za-z0-9_./@+-]+)$/, 'an absolute path to a private key (letters, digits, _ . / @ + -) or agent-forwarding');
  if (!noDotDot(key)) throw Errors.InvalidField(field, "a path without '..'");
  return key;
}

function isForward(text: string): boolean {
  const m = FORWARD.exec(text);
  return m !== null && isPort(m[1]!) && isPort(m[2]!);
}

const yesNo = (v: string) => /^(?:yes|no)$/i.test(v);
const intIn = (min: number, max: number) => (v: string) => /^\d{1,5}$/.test(v) && Number(v) >= min && Number(v) <= max;

/** ssh `-o` options a request may set; anything else (ProxyCommand, LocalCommand, …) is refused. */
const SSH_CLIENT_OPTIONS: Record<string, { name: string; valid: (value: string) => boolean; shape: string }> = {
  stricthostkeychecking: { name: 'StrictHostKeyChecking', valid: (v) => /^(?:yes|no|accept-new|ask|off)$/i.test(v), shape: 'yes|no|accept-new|ask|off' },
  // Any other file would be one ssh writes host keys to on the API host.
  userknownhostsfile: { name: 'UserKnownHostsFile', valid: (v) => v === '/dev/null', shape: '/dev/null' },
  connecttimeout: { name: 'ConnectTimeout', valid: intIn(1, 3600), shape: '1-3600' },
  connectionattempts: { name: 'ConnectionAttempts', valid: intIn(1, 10), shape: '1-10' },
  serveraliveinterval: { name: 'ServerAliveInterval', valid: intIn(0, 3600), shape: '0-3600' },
  serveralivecountmax: { name: 'ServerAliveCountMax', valid: intIn(0, 100), shape: '0-100' },
  batchmode: { name: 'BatchMode', valid: yesNo, shape: 'yes|no' },
  compression: { name: 'Compression', valid: yesNo, shape: 'yes|no' },
};

const SSH_OPTIONS_EXPECTED = `options of the form Name=value from ${Object.values(SSH_CLIENT_OPTIONS)
  .map((o) => `${o.name}=${o.shape}`)
  .join(', ')}`;

function isAllowedSshOption(text: string): boolean {
  const m = /^([A-Za-z]+)=(.+)$/.exec(text);
  if (!m) return false;
  const name = m[1]!.toLowerCase();
  return Object.hasOwn(SSH_CLIENT_OPTIONS, name) && SSH_CLIENT_OPTIONS[name]!.valid(m[2]!);
}

const FLAGS: Record<string, Translate> = {
  ssh_user: valued('--user', (f, v) => patternValue(f, v, USER, 'a user name (letters, digits, _ . -)')),
  ssh_priv: valued('--priv', privateKey),
  ssh_identities_only: onOff('--identities-only'),
  ssh_remote_port_forwards: valued('--remote-port-forwards', (f, v) =>
    listValue(f, v, isForward, 'remote forwards [bind:]port:host:hostport with ports 1-65535').join(','),
  ),
  ssh_options: (f, v) => listValue(f, v, isAllowedSshOption, SSH_OPTIONS_EXPECTED).map((option) => `--ssh-option=${option}`),
  // Each process holds an ssh connection open on the API host: keep a request from asking for hundreds.
  ssh_max_procs: valued('--max-procs', (f, v) => String(integerValue(f, v, 1, 100))),
  ssh_key_deploy: onOff('--key-deploy'),
  ssh_scan_ports: valued('--scan-ports', (f, v) => listValue(f, v, isPort, 'ports 1-65535').join(',')),
  ssh_scan_timeout: valued('--scan-timeout', (f, v) => String(secondsValue(f, v, 60))),
  ssh_sudo: onOff('--sudo'),
  ssh_wipe: onOff('--wipe'),
  ssh_run_pre_flight: onOff('--pre-flight'),
  refresh_cache: onOff('--refresh-cache'),
  roster: valued('--roster', (f, v) => patternValue(f, v, MODULE, 'a roster module name')),
  ignore_host_keys: onOff('--ignore-host-keys'),
  no_host_keys: onOff('--no-host-keys'),
  extra_filerefs: valued('--extra-filerefs', (f, v) =>
    listValue(f, v, (t) => /^salt:\/\/[A-Za-z0-9_./-]+$/.test(t) && noDotDot(t), "salt:// file references without '..'").join(','),
  ),
  min_extra_mods: valued('--min-extra-modules', (f, v) => listValue(f, v, (t) => PYTHON_MODULE.test(t), 'Python module names').join(',')),
  thin_extra_mods: valued('--thin-extra-modules', (f, v) => listValue(f, v, (t) => PYTHON_MODULE.test(t), 'Python module names').join(',')),
  rand_thin_dir: onOff('--rand-thin-dir'),
  regen_thin: onOff('--regen-thin'),
  // Only reaches here when netapi_allow_raw_shell let the gatekeeper pass it.
  raw_shell: onOff('--raw-shell'),
  // The API always passes --static: it answers with one document per call.
  static: (f, v) => {
    booleanValue(f, v);
    return [];
  },
};

const IN_ROSTER = 'salt-ssh has no command-line option for it; set it for the host in the roster';

/** Options of salt-api's list that this client refuses, and why. */
const REFUSED: Record<string, string> = {
  ssh_passwd: 'a password on the salt-ssh command line is readable by every local user; set passwd in the roster',
  ssh_priv_passwd: 'a passphrase on the salt-ssh command line is readable by every local user; set priv_passwd in the roster',
  ssh_askpass: 'salt-ssh would prompt on a terminal the API does not have',
  ssh_port: IN_ROSTER,
  ssh_sudo_user: IN_ROSTER,
  ssh_timeout: IN_ROSTER,
  ssh_log_file: 'it would let a request choose a file on the API host for salt-ssh to write',
  ssh_pre_hook: 'it names a command to run on the API host',
  ssh_update_roster: "it would let a request write to the master's roster file",
  rosters: "roster directories come from the master's 'rosters' option",
  saltfile: 'it would let a request choose the configuration salt-ssh reads',
  verbose: 'it mixes progress text into the JSON output the API reads',
};

/** The salt-ssh flags for the chunk's ssh options, in a fixed order; a 400 for a bad or refused one. */
export function sshOptionFlags(chunk: LowstateChunk): string[] {
  for (const [field, why] of Object.entries(REFUSED)) {
    if (present(chunk, field) !== undefined) throw Errors.BadRequest(`'${field}' is not accepted by the ssh client: ${why}.`);
  }
  return Object.entries(FLAGS).flatMap(([field, translate]) => {
    const value = present(chunk, field);
    return value === undefined ? [] : translate(field, value);
  });
}
