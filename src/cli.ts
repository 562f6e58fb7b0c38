#!/usr/bin/env node
/**
 * The `salt-api-koa` command: read the master config (or start the embedded sandbox master),
 * validate it completely, then serve. Configuration errors print one line and exit 2 before
 * anything listens.
 */
import cluster from 'node:cluster';
import { accessSync, constants, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, cannotOpen, describeValue, errorCode } from './config/configError.js';
import { MASTER_DEFAULTS } from './config/defaults.js';
import { loadMasterConfig } from './config/masterConfig.js';
import { type ConfigMap, isConfigMap } from './config/merge.js';
import { OptionReader } from './config/options.js';
import { apiSectionName, settingsFromMaster } from './config/settings.js';
import { LOG_LEVELS, type LogLevel, type Logger, createLogger, flushLogs, parseLogLevel } from './log.js';
import type { Settings } from './config/types.js';
import type { Sandbox } from './sandbox/index.js';
import { DEFAULT_RELEASE, RELEASE_GENERATIONS, saltRelease } from './salt/releases.js';

const USAGE = `Usage: salt-api-koa [options]
       salt-api-koa doctor [-c DIR]   check the config, the master and its event bus (doctor --help)

Salt's REST API (the rest_cherrypy contract) on Koa, talking to a Salt master.
Options are read from the master config's rest_koa section (else rest_cherrypy).

Options:
  -c, --config-dir DIR   Salt config directory holding "master" (or the file itself);
                         default ${MASTER_DEFAULTS.config_dir}
      --sandbox          run against an embedded sandbox master instead of a real one
                         (simulated minions, a known password: never for production)
      --sandbox-release V
                         the Salt release the sandbox behaves as (${RELEASE_GENERATIONS.join(', ')},
                         or any 3006.N, 3007.N, 3008.N); default ${DEFAULT_RELEASE}
      --sandbox-minions N
                         how many minions the sandbox simulates (minion-1 … minion-N,
                         accepted, with realistic grains); default 2
      --port N           listen on port N (overrides the section's port)
      --host H           listen on address H (overrides the section's host)
  -l, --log-level L      ${LOG_LEVELS.join(', ')} (default info)
      --log-file FILE    append the log to FILE instead of stderr; reopened on SIGHUP
      --version          print the version and exit
  -h, --help             print this help and exit
`;

const OPTIONS = {
  'config-dir': { type: 'string', short: 'c' },
  sandbox: { type: 'boolean' },
  'sandbox-release': { type: 'string' },
  'sandbox-minions': { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'log-level': { type: 'string', short: 'l' },
  'log-file': { type: 'string' },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Args {
  'config-dir'?: string;
  sandbox?: boolean;
  'sandbox-release'?: string;
  'sandbox-minions'?: string;
  port?: string;
  host?: string;
  'log-level'?: string;
  'log-file'?: string;
  version?: boolean;
  help?: boolean;
}

function parseCommandLine(argv: string[]): Args {
  try {
    return parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new ConfigError(`${error instanceof Error ? error.message : String(error)} (see --help)`);
  }
}

function packageVersion(): string {
  // dist/src/cli.js → the package root is two levels up.
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(manifest.version);
}

/** Who this process runs as, for messages about files it cannot read. */
function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    // A uid without a passwd entry (containers).
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/**
 * The default master config must be readable: a service started as the wrong user must stop
 * here, naming the file and the user, never fall back to the sandbox (whose password is known).
 */
function requireReadable(file: string): void {
  try {
    accessSync(file, constants.R_OK);
  } catch (error) {
    throw new ConfigError(
      `cannot read ${file} as user ${currentUser()} (${errorCode(error)}); run as the master's user, pass -c DIR, or --sandbox to try the embedded sandbox`,
    );
  }
}

/** The command-line --port/--host, validated with the same rules as the config options. */
function listenOverrides(args: Args): ConfigMap {
  const flags = new OptionReader({ port: args.port, host: args.host }, '--');
  const overrides: ConfigMap = {};
  if (flags.has('port')) overrides.port = flags.port('port', 0, 0);
  if (flags.has('host')) overrides.host = flags.nonEmptyString('host', '');
  return overrides;
}

/** `raw` with the overrides laid over its API section; a malformed section is left for validation to report. */
function withOverrides(raw: ConfigMap, overrides: ConfigMap): ConfigMap {
  if (Object.keys(overrides).length === 0) return raw;
  const name = apiSectionName(raw);
  const section = raw[name] ?? {};
  return isConfigMap(section) ? { ...raw, [name]: { ...section, ...overrides } } : raw;
}

interface SignalOptions {
  /** Signals that shut down gracefully; a second one exits at once. */
  stopOn?: NodeJS.Signals[];
  /** After this process reopened its log file on SIGHUP. */
  onHangup?: () => void;
}

function installSignalHandlers(log: Logger, shutdown: () => Promise<void>, options: SignalOptions = {}): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(`${signal} received again; exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal} received; shutting down`);
    // The log files are written asynchronously: every line must be on disk before the exit.
    shutdown().then(
      () => flushLogs().then(() => process.exit(0)),
      (error: unknown) => {
        log.error('shutdown failed', { error });
        return flushLogs().then(() => process.exit(1));
      },
    );
  };
  for (const signal of options.stopOn ?? ['SIGTERM', 'SIGINT']) process.on(signal, stop);
  process.on('SIGHUP', () => {
    log.reopen();
    log.info('SIGHUP received; log file reopened');
    options.onHangup?.();
  });
}

/** Where the log goes: `--log-file` wins, else `log_error_file` (salt-api's error log), else stderr. */
function loggerFor(settings: Settings, args: Args, level: LogLevel, current: Logger): Logger {
  const file = settings.api.log_error_file;
  if (args['log-file'] !== undefined || !file) return current;
  try {
    return createLogger({ level, file });
  } catch (error) {
    throw cannotOpen('log_error_file', file, error);
  }
}

/** A cluster worker (src/cluster.ts): serve with the settings the primary validated. */
async function runWorker(args: Args, level: LogLevel, stderrLog: Logger): Promise<void> {
  const { reportReady, assignmentFromPrimary } = await import('./cluster.js');
  const { settings, slot } = await assignmentFromPrimary();
  const log = loggerFor(settings, args, level, stderrLog).child({ worker: cluster.worker?.id });
  const { startServer } = await import('./server.js');
  const server = await startServer(settings, log, { clusterWorker: { slot } });
  reportReady(server.url);
  // The primary stops its workers with SIGTERM; a terminal's Ctrl-C reaches the whole process
  // group, and stopping is the primary's call then too.
  process.on('SIGINT', () => {});
  installSignalHandlers(log, () => server.close(), { stopOn: ['SIGTERM'], onHangup: () => server.reload() });
}

/** The release named by --sandbox-release, checked before anything starts. */
function sandboxRelease(args: Args): string | undefined {
  const named = args['sandbox-release'];
  if (named === undefined) return undefined;
  try {
    return saltRelease(named).version;
  } catch (error) {
    throw new ConfigError(`--sandbox-release: ${(error as Error).message}`);
  }
}

/** The fleet size named by --sandbox-minions, checked before anything starts. */
function sandboxMinions(args: Args): number | undefined {
  const named = args['sandbox-minions'];
  if (named === undefined) return undefined;
  if (!args.sandbox) throw new ConfigError('--sandbox-minions needs --sandbox');
  const count = /^\d+$/.test(named) ? Number(named) : NaN;
  if (!Number.isSafeInteger(count) || count < 1) throw new ConfigError(`--sandbox-minions: expected a whole number ≥ 1, got ${describeValue(named)}`);
  return count;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'doctor') {
    // Loaded only here: serving never needs the doctor's probes.
    const { runDoctor } = await import('./doctor/index.js');
    process.exitCode = await runDoctor(argv.slice(1));
    return;
  }
  const args = parseCommandLine(argv);
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (args.version) {
    process.stdout.write(`salt-api-koa ${packageVersion()}\n`);
    return;
  }
  if (args.sandbox && args['config-dir'] !== undefined) throw new ConfigError('--sandbox and --config-dir exclude each other');
  const level = args['log-level'] === undefined ? 'info' : parseLogLevel(args['log-level']);
  if (level === undefined) throw new ConfigError(`--log-level: expected one of ${LOG_LEVELS.join(', ')}, got ${describeValue(args['log-level'])}`);
  const overrides = listenOverrides(args);
  const release = sandboxRelease(args);
  const minions = sandboxMinions(args);
  let log: Logger;
  try {
    log = createLogger({ level, file: args['log-file'] });
  } catch (error) {
    throw cannotOpen('--log-file', args['log-file'], error);
  }
  if (cluster.isWorker) return runWorker(args, level, log);

  // Only on request: the sandbox accepts a published password and answers with canned data.
  const useSandbox = args.sandbox === true;
  if (!useSandbox && args['config-dir'] === undefined) requireReadable(path.join(MASTER_DEFAULTS.config_dir, 'master'));
  let sandbox: Sandbox | undefined;
  try {
    let raw: ConfigMap;
    let source: string;
    if (useSandbox) {
      log.warn(`running on the embedded sandbox master (--sandbox given); to use a real Salt master, run with -c <its config dir>, e.g. -c ${MASTER_DEFAULTS.config_dir}`);
      // Loaded only here, so a production start never pulls in the sandbox.
      const { startSandbox } = await import('./sandbox/index.js');
      sandbox = await startSandbox({ record: false, release, minions });
      raw = sandbox.config;
      source = 'embedded sandbox master';
    } else {
      raw = await loadMasterConfig(args['config-dir'] ?? MASTER_DEFAULTS.config_dir);
      source = String(raw.conf_file);
    }
    const warnings: string[] = [];
    const settings = settingsFromMaster(withOverrides(raw, overrides), source, (warning) => warnings.push(warning));
    log = loggerFor(settings, args, level, log);
    // Only once the whole config is known good, so a refused config prints nothing but its error.
    warnings.forEach((warning) => log.warn(warning));
    const running = sandbox;
    if (settings.api.workers > 1) {
      const { superviseWorkers } = await import('./cluster.js');
      const supervisor = await superviseWorkers(settings, log);
      log.info(`salt-api-koa ${packageVersion()} listening on ${supervisor.url}`, { config: settings.source, workers: settings.api.workers });
      installSignalHandlers(
        log,
        async () => {
          await supervisor.stop();
          await running?.stop();
        },
        { onHangup: () => supervisor.reload() },
      );
      return;
    }
    // Loaded after validation: --help, --version and config errors never load the HTTP stack.
    const { startServer } = await import('./server.js');
    const server = await startServer(settings, log);
    log.info(`salt-api-koa ${packageVersion()} listening on ${server.url}`, { config: settings.source });
    installSignalHandlers(
      log,
      async () => {
        await server.close();
        await running?.stop();
      },
      { onHangup: () => server.reload() },
    );
  } catch (error) {
    await sandbox?.stop().catch((stopError: unknown) => log.error('stopping the sandbox master failed', { error: stopError }));
    throw error;
  }
}

main(process.argv.slice(2)).catch(async (error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`salt-api-koa: ${message.replace(/\n/g, ' ')}\n`);
  await flushLogs();
  process.exit(error instanceof ConfigError ? 2 : 1);
});
