#!/usr/bin/env node
/**
 * A stand-in for salt-ssh in tests. It parses its argv with salt-ssh's real option set (an unknown
 * option is a usage error, exit 2, as optparse makes it), appends what it received to the file
 * named by SALT_SSH_FAKE_RECORD, and prints `--static --out=json` style output for a few
 * functions. It never runs anything and never opens a connection.
 *
 * Hosts come from the roster file (`--roster-file`, else `<config dir>/roster`): every top-level
 * `name:` line is a host. Functions: test.ping, test.echo, test.arg, grains.get, test.sleep <s>;
 * raw shell commands get a canned answer. SALT_SSH_FAKE_OUTPUT=garbage prints a traceback instead.
 * SALT_SSH_FAKE_GATE=<unix socket path>: once started, connect there, say the pid and hold on
 * until the other end closes the connection, so a test knows it runs and decides when it ends.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fnmatch } from '../salt/match.js';

const VALUED = new Map<string, string>([
  ['-c', 'config_dir'], ['--config-dir', 'config_dir'], ['--saltfile', 'saltfile'], ['--jid', 'jid'],
  ['--roster', 'roster'], ['--roster-file', 'roster_file'], ['--max-procs', 'ssh_max_procs'],
  ['--extra-filerefs', 'extra_filerefs'], ['--min-extra-modules', 'min_extra_mods'], ['--thin-extra-modules', 'thin_extra_mods'],
  ['--python2-bin', 'python2_bin'], ['--python3-bin', 'python3_bin'], ['--out', 'output'], ['--output', 'output'],
  ['--out-indent', 'output_indent'], ['--out-file', 'output_file'], ['--state-output', 'state_output'],
  ['--state-verbose', 'state_verbose'], ['--remote-port-forwards', 'ssh_remote_port_forwards'], ['--ssh-option', 'ssh_options'],
  ['--priv', 'ssh_priv'], ['--priv-passwd', 'ssh_priv_passwd'], ['--user', 'ssh_user'], ['--passwd', 'ssh_passwd'],
  ['--scan-ports', 'ssh_scan_ports'], ['--scan-timeout', 'ssh_scan_timeout'], ['-l', 'log_level'], ['--log-level', 'log_level'],
  ['--log-file', 'ssh_log_file'], ['--log-file-level', 'log_level_logfile'], ['--delimiter', 'delimiter'], ['--no-parse', 'no_parse'],
]);

const SWITCHES = new Map<string, string>([
  ['-r', 'raw_shell'], ['--raw', 'raw_shell'], ['--raw-shell', 'raw_shell'], ['--refresh', 'refresh_cache'],
  ['--refresh-cache', 'refresh_cache'], ['-v', 'verbose'], ['--verbose', 'verbose'], ['-s', 'static'], ['--static', 'static'],
  ['-w', 'ssh_wipe'], ['--wipe', 'ssh_wipe'], ['-W', 'rand_thin_dir'], ['--rand-thin-dir', 'rand_thin_dir'],
  ['-t', 'regen_thin'], ['--regen-thin', 'regen_thin'], ['--thin', 'regen_thin'], ['--pre-flight', 'ssh_run_pre_flight'],
  ['-H', 'list_hosts'], ['--hosts', 'list_hosts'], ['-E', 'pcre'], ['--pcre', 'pcre'], ['-L', 'list'], ['--list', 'list'],
  ['-G', 'grain'], ['--grain', 'grain'], ['-P', 'grain_pcre'], ['--grain-pcre', 'grain_pcre'], ['-N', 'nodegroup'],
  ['--nodegroup', 'nodegroup'], ['-R', 'range'], ['--range', 'range'], ['--no-color', 'no_color'], ['--no-colour', 'no_color'],
  ['--force-color', 'force_color'], ['--out-file-append', 'output_file_append'], ['-i', 'ignore_host_keys'],
  ['--ignore-host-keys', 'ignore_host_keys'], ['--no-host-keys', 'no_host_keys'], ['--askpass', 'ssh_askpass'],
  ['--key-deploy', 'ssh_key_deploy'], ['--identities-only', 'ssh_identities_only'], ['--sudo', 'ssh_sudo'],
  ['--update-roster', 'ssh_update_roster'], ['--hard-crash', 'hard_crash'],
]);

interface Parsed {
  options: Map<string, string[]>;
  positional: string[];
}

function usageError(message: string): never {
  process.stderr.write(`Usage: salt-ssh [options] '<target>' <function> [arguments]\n\nsalt-ssh: error: ${message}\n`);
  process.exit(2);
}

/** optparse: options and positionals may mix until `--`; `--name=value` or `--name value`. */
function parse(argv: string[]): Parsed {
  const options = new Map<string, string[]>();
  const positional: string[] = [];
  const set = (dest: string, value: string) => options.set(dest, [...(options.get(dest) ?? []), value]);
  for (let i = 0; i < argv.length; i++) {
    const item = argv[i]!;
    if (item === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!item.startsWith('-') || item === '-') {
      positional.push(item);
      continue;
    }
    const eq = item.startsWith('--') ? item.indexOf('=') : -1;
    const name = eq > 0 ? item.slice(0, eq) : item;
    const valued = VALUED.get(name);
    const switched = SWITCHES.get(name);
    if (valued !== undefined) {
      const value = eq > 0 ? item.slice(eq + 1) : argv[++i];
      if (value === undefined) usageError(`${name} option requires 1 argument`);
      set(valued, value);
    } else if (switched !== undefined && eq < 0) set(switched, 'true');
    else usageError(`no such option: ${name}`);
  }
  return { options, positional };
}

function rosterHosts(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    process.stderr.write(`ERROR: Roster file "${file}" not found\n`);
    process.exit(2);
  }
  return [...text.matchAll(/^([^\s#:][^:\s]*):/gm)].map((m) => m[1]!);
}

const GRAINS: Record<string, string> = { os: 'Debian', os_family: 'Debian', kernel: 'Linux' };

function targeted(hosts: string[], tgt: string, options: Map<string, string[]>): string[] {
  if (options.has('list')) return tgt.split(',').filter((id) => hosts.includes(id));
  if (options.has('pcre')) return hosts.filter((id) => new RegExp(`^(?:${tgt})`).test(id));
  if (options.has('grain')) {
    const [key, pattern = ''] = tgt.split(':', 2);
    const grain = GRAINS[key!];
    return grain !== undefined && fnmatch(grain, pattern) ? hosts : [];
  }
  if (options.has('grain_pcre') || options.has('nodegroup') || options.has('range')) return [];
  return hosts.filter((id) => fnmatch(id, tgt));
}

/** Salt reads each argument as YAML; JSON-shaped text and plain words are all the tests send. */
function argValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function run(fun: string, args: string[], host: string): { ret: unknown; ok: boolean } {
  const positional = args.filter((a) => !/^[A-Za-z_][\w.-]*=/.test(a)).map(argValue);
  const keywords = Object.fromEntries(
    args.filter((a) => /^[A-Za-z_][\w.-]*=/.test(a)).map((a) => [a.slice(0, a.indexOf('=')), argValue(a.slice(a.indexOf('=') + 1))]),
  );
  switch (fun) {
    case 'test.ping':
      return { ret: true, ok: true };
    case 'test.echo':
      return { ret: args[0] ?? '', ok: true };
    case 'test.arg':
      return { ret: { args: positional, kwargs: keywords }, ok: true };
    case 'grains.get':
      return { ret: { ...GRAINS, id: host }[String(positional[0])] ?? '', ok: true };
    default:
      return { ret: `'${fun}' is not available.`, ok: false };
  }
}

/** Announce this run on the gate socket and wait until the test lets it go. */
function passGate(socketPath: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath, () => socket.write(`${process.pid}\n`));
    socket.on('data', () => undefined);
    socket.on('close', () => resolve());
    socket.on('error', (error) => {
      process.stderr.write(`fake salt-ssh: gate ${socketPath}: ${error.message}\n`);
      process.exit(3);
    });
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const record = process.env.SALT_SSH_FAKE_RECORD;
  if (record) appendFileSync(record, `${JSON.stringify({ argv, cwd: process.cwd(), pid: process.pid })}\n`);
  const gate = process.env.SALT_SSH_FAKE_GATE;
  if (gate) await passGate(gate);
  const { options, positional } = parse(argv);
  const [tgt, fun, ...args] = positional;
  if (tgt === undefined || fun === undefined) usageError('a target and a function are required');
  if (process.env.SALT_SSH_FAKE_OUTPUT === 'garbage') {
    process.stdout.write('Traceback (most recent call last):\n  File "salt-ssh", line 1\nKeyError: \'fake\'\n');
    process.exit(1);
  }
  const configDir = options.get('config_dir')?.[0] ?? '/etc/salt';
  const rosterFile = options.get('roster_file')?.[0] ?? path.join(configDir, 'roster');
  const hosts = targeted(rosterHosts(rosterFile), tgt, options);
  if (fun === 'test.sleep') await new Promise((resolve) => setTimeout(resolve, Number(args[0] ?? 1) * 1000));
  let failed = false;
  const result: Record<string, unknown> = {};
  for (const host of hosts) {
    if (options.has('raw_shell')) {
      result[host] = { stdout: '', stderr: 'the fake salt-ssh runs no commands', retcode: 0 };
      continue;
    }
    const { ret, ok } = fun === 'test.sleep' ? { ret: true, ok: true } : run(fun, args, host);
    result[host] = ret;
    failed ||= !ok;
  }
  if (hosts.length > 0) process.stdout.write(`${JSON.stringify(result, null, 4)}\n`);
  process.exit(failed ? 1 : 0);
}

await main();
