/**
 * `salt-api-koa doctor [-c DIR]`: check, from the API's host and as the API's user, everything
 * the API needs of the master, and say what to fix. One line per check, each starting with its
 * verdict; exit 0 when nothing failed, 1 when something did, 2 when the config itself is unusable
 * (as `salt-api-koa` exits on a config error). It only reads and probes: it never logs in, so it
 * never holds, and never prints, a token or a password.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/configError.js';
import { MASTER_DEFAULTS } from '../config/defaults.js';
import { checkEventBus } from './busCheck.js';
import { checkConfig } from './config.js';
import { type Finding, exitCode, formatFinding, formatSummary } from './finding.js';
import { checkNetapi } from './netapi.js';
import { checkRelease } from './releaseCheck.js';
import { checkRequestServer } from './requestServer.js';
import { workerPoolsEvidence } from './workers.js';

export const DOCTOR_USAGE = `Usage: salt-api-koa doctor [-c DIR]

Check that salt-api-koa can work with the Salt master its config names: the config, the request
server (and the protocol version it accepts), the event bus sockets (access and framing),
external_auth and netapi_enable_clients, and which Salt release the master is.
Each line starts with ok, warn, FAIL or skip; the problems and their fixes are listed at the end.
Exit status: 0 without FAIL, 1 with one, 2 when the config cannot be used.

Options:
  -c, --config-dir DIR   Salt config directory holding "master" (or the file itself);
                         default ${MASTER_DEFAULTS.config_dir}
  -h, --help             print this help and exit
`;

function parseDoctorArgs(argv: string[]): { configDir?: string; help: boolean } {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { 'config-dir': { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    return { configDir: values['config-dir'], help: values.help === true };
  } catch (error) {
    throw new ConfigError(`doctor: ${error instanceof Error ? error.message : String(error)} (see doctor --help)`);
  }
}

/**
 * Lines to stdout. A reader that goes away (`doctor | head -3`) ends the output, not the run: the
 * exit status still reports every check.
 */
function stdoutLines(): (line: string) => void {
  let open = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    open = false;
  });
  return (line) => {
    if (open) process.stdout.write(`${line}\n`);
  };
}

/** Run every check, writing each line as soon as it is known; resolves to the exit status. */
export async function runDoctor(argv: string[], write: (line: string) => void = stdoutLines()): Promise<number> {
  const args = parseDoctorArgs(argv);
  if (args.help) {
    write(DOCTOR_USAGE.trimEnd());
    return 0;
  }
  const findings: Finding[] = [];
  const report = (more: Finding[]) => {
    findings.push(...more);
    more.forEach((finding) => write(formatFinding(finding)));
  };
  const loaded = await checkConfig(args.configDir ?? MASTER_DEFAULTS.config_dir, args.configDir !== undefined);
  report(loaded.findings);
  if (!loaded.config) {
    formatSummary(findings).forEach(write);
    return 2;
  }
  const config = loaded.config;
  // The API's own wait for the master: a master slower than that fails the API's requests too.
  const timeoutMs = config.settings.api.master_timeout * 1000;
  const request = await checkRequestServer(config, timeoutMs);
  report(request.findings);
  const bus = await checkEventBus(config, timeoutMs);
  report(bus.findings);
  report(checkNetapi(config));
  report(await checkRelease({ ...request.evidence, ...bus.evidence, workerPools: await workerPoolsEvidence(config) }));
  formatSummary(findings).forEach(write);
  return exitCode(findings);
}
