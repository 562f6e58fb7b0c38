/**
 * A real Salt master and real minion(s) on loopback, run from a Salt source tree, for testing
 * salt-api-koa against released Salt rather than the embedded sandbox.
 *
 * What it needs (none of it comes from PyPI):
 *  - Debian's /usr/bin/python3 (3.11 on Debian 12) and the python3-* packages that
 *    test/real/install-deps.sh installs with apt-get;
 *  - test/real/pystubs/ on PYTHONPATH after the source tree: stand-ins for modules Salt imports
 *    that Debian does not package (only `looseversion`);
 *  - a Salt source tree, e.g. one exported by test/real/export-salt.sh to /tmp/salt-src/<version>.
 *    Salt runs from it directly (salt_entry.py calls salt.scripts.salt_master / salt_minion).
 *    An exported tree has no .git and no salt/_version.txt, so Salt would report a codename
 *    default (3006.27 calls itself 3006.0); the harness writes _version.txt from the first
 *    `## <version> (` heading of the tree's CHANGELOG.md, as Salt's own build does.
 *
 * Each start gets a fresh temp root: configs, pki, cache, sockets and logs all live under it, so
 * runs never share state and several can run at once. The master config is a normal
 * `<configDir>/master`, which salt-api-koa loads with `-c <configDir>`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { dump } from 'js-yaml';
import { projectRoot } from '../support/paths.js';
import { stopStragglers } from './processes.js';
import { type GroupProcess, spawnGroup } from './processGroups.js';
import { portAccepts } from '../support/sockets.js';

const execFileAsync = promisify(execFile);

/** eauth `auto` accepts any password for a user listed under it. */
export const EAUTH_USER = 'saltdev';
export const EAUTH_PASSWORD = 'saltdev';
/** The `sharedsecret` eauth password (the value used when the captures were recorded). */
export const SHARED_SECRET = 'realsalt-sharedsecret';
export const EAUTH_PERMS = ['.*', '@runner', '@wheel', '@jobs'];
export const NETAPI_CLIENTS = ['local', 'local_async', 'local_batch', 'local_subset', 'runner', 'runner_async', 'ssh', 'wheel', 'wheel_async'];

const HARNESS_DIR = path.join(projectRoot, 'test', 'real');
const ENTRY = path.join(HARNESS_DIR, 'salt_entry.py');
const PYSTUBS = path.join(HARNESS_DIR, 'pystubs');
/** sun_path holds 108 bytes; Salt's longest master socket name is master_event_pull.ipc. */
const MAX_SOCKET_PATH = 107;
const STOP_GRACE_MS = 1500;
/** How long a daemonized job process may take to end by itself once its master is gone. */
const STRAGGLER_GRACE_MS = 3000;

export type SaltOptions = Record<string, unknown>;

export interface StartRealSaltOptions {
  /** Root of a Salt source tree (the directory holding `salt/`). */
  saltSrc: string;
  /** Number of minions, named minion-1, minion-2, … like the sandbox's. Default 1. */
  minions?: number;
  /** Interpreter. Default $SALT_REAL_PYTHON, else /usr/bin/python3 (not a pyenv shim). */
  python?: string;
  /** Give up on start-up after this long. Default 90 s. */
  readyTimeoutMs?: number;
  /** Extra master options, applied over the harness's (e.g. `{ worker_pools_enabled: false }`). */
  masterConfig?: SaltOptions;
  /** Extra options for every minion. */
  minionConfig?: SaltOptions;
  /** log_level_logfile of the daemons. Default 'info'. */
  logLevel?: 'garbage' | 'trace' | 'debug' | 'info' | 'warning' | 'error';
  /** Keep the temp root after stop() (it is always kept after a failed start). Default $SALT_REAL_KEEP === '1'. */
  keepRootDir?: boolean;
  /** Where the temp root is made. Default os.tmpdir(); must be short (unix socket paths). */
  tmpParent?: string;
}

export interface RealSalt {
  /** Pass to salt-api-koa as `-c`: it holds `master`. */
  readonly configDir: string;
  readonly masterConfigPath: string;
  readonly rootDir: string;
  /** The master's sock_dir: master_event_pub.ipc, master_event_pull.ipc, workers.ipc, … */
  readonly sockDir: string;
  readonly pkiDir: string;
  readonly retPort: number;
  readonly publishPort: number;
  /** A free loopback port, written as `rest_koa.port` (with disable_ssl) into the master config. */
  readonly apiPort: number;
  /** Salt's own idea of its version (salt.version.__version__), e.g. '3006.27'. */
  readonly version: string;
  readonly minionIds: string[];
  /** Milliseconds from spawn to master sockets up, and to every minion answering test.ping. */
  readonly timings: { masterMs: number; minionsMs: number };
  /** salt.client.LocalClient(...).cmd through the master, run by Salt's own Python code. */
  localCmd(target: string, fun: string, args?: unknown[], timeoutSeconds?: number): Promise<Record<string, unknown>>;
  /** Salt's own `salt-key -c <configDir> <args> --out json`, parsed: e.g. `['-f', 'minion-1']`. */
  saltKey(args: string[]): Promise<unknown>;
  /**
   * Stop minions and master (whole process groups) and the job processes the master daemonized,
   * then delete the temp root unless kept.
   */
  stop(): Promise<void>;
  /** The last `lines` lines of every log and console-output file, for diagnosis. */
  logs(lines?: number): string;
}

interface Ports {
  ret: number;
  publish: number;
  api: number;
}

interface MinionLayout {
  id: string;
  /** The minion's own root: etc/minion, pki, cache, sock, log. */
  dir: string;
  configDir: string;
  logFile: string;
  outputFile: string;
}

/** Every path of one run, all under one fresh temp root. */
interface Layout {
  rootDir: string;
  configDir: string;
  masterConfigPath: string;
  sockDir: string;
  pkiDir: string;
  logFile: string;
  outputFile: string;
  minions: MinionLayout[];
}

/** Distinct free loopback ports: all listeners stay open until every port is known. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
      return server;
    }),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('listener has no port');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

async function pickPorts(): Promise<Ports> {
  const [ret, publish, api] = await freePorts(3);
  if (ret === undefined || publish === undefined || api === undefined) throw new Error('no free loopback ports');
  return { ret, publish, api };
}

/** The release a source tree is: salt/_version.txt, written from CHANGELOG.md when missing. */
async function releaseVersion(saltSrc: string): Promise<string> {
  const versionFile = path.join(saltSrc, 'salt', '_version.txt');
  const existing = (await readFile(versionFile, 'utf8').catch(() => '')).trim();
  if (existing) return existing;
  const changelog = await readFile(path.join(saltSrc, 'CHANGELOG.md'), 'utf8').catch(() => '');
  const heading = /^## (\d{4}\.\d+(?:rc\d+)?) \(/m.exec(changelog);
  if (!heading?.[1]) {
    throw new Error(`${saltSrc}: no salt/_version.txt and no "## <version> (<date>)" heading in CHANGELOG.md; write the version into salt/_version.txt`);
  }
  // Write-then-rename: concurrent starts on the same tree never see a half-written file.
  const temporary = `${versionFile}.${process.pid}.tmp`;
  await writeFile(temporary, `${heading[1]}\n`);
  await rename(temporary, versionFile);
  return heading[1];
}

function pythonEnv(saltSrc: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PYTHONPATH: [saltSrc, PYSTUBS].join(path.delimiter),
    // Salt must see only Debian's packages: no user site, no pyenv leftovers.
    PYTHONNOUSERSITE: '1',
    PYTHONHOME: undefined,
    PYTHONUNBUFFERED: '1',
    // Cache bytecode, whatever the caller's environment says, but outside both the repository
    // (pystubs) and the Salt tree: compiling Salt on every start costs about a second per process.
    PYTHONDONTWRITEBYTECODE: undefined,
    PYTHONPYCACHEPREFIX: path.join(os.tmpdir(), 'salt-real-pycache'),
  };
}

/** Run salt_entry.py with a subcommand whose last stdout line is JSON. */
async function pythonJson(python: string, env: NodeJS.ProcessEnv, args: string[], timeoutMs: number): Promise<unknown> {
  const { stdout } = await execFileAsync(python, [ENTRY, ...args], { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 });
  return JSON.parse(stdout.trimEnd().split('\n').pop() ?? '');
}

function minionLayout(rootDir: string, index: number): MinionLayout {
  const id = `minion-${index + 1}`;
  const dir = path.join(rootDir, 'minions', id);
  return { id, dir, configDir: path.join(dir, 'etc'), logFile: path.join(dir, 'log', 'minion.log'), outputFile: path.join(dir, 'log', 'minion.out') };
}

async function makeLayout(tmpParent: string, minionCount: number): Promise<Layout> {
  const rootDir = await mkdtemp(path.join(tmpParent, 'salt-real-'));
  const configDir = path.join(rootDir, 'etc');
  const layout: Layout = {
    rootDir,
    configDir,
    masterConfigPath: path.join(configDir, 'master'),
    sockDir: path.join(rootDir, 'sock', 'master'),
    pkiDir: path.join(rootDir, 'pki', 'master'),
    logFile: path.join(rootDir, 'log', 'master.log'),
    outputFile: path.join(rootDir, 'log', 'master.out'),
    minions: Array.from({ length: minionCount }, (_, index) => minionLayout(rootDir, index)),
  };
  const longest = path.join(layout.sockDir, 'master_event_pull.ipc');
  if (longest.length > MAX_SOCKET_PATH) throw new Error(`socket path too long for AF_UNIX (${longest}); pass a shorter tmpParent`);
  const dirs = [configDir, layout.sockDir, path.dirname(layout.logFile), ...layout.minions.map((minion) => path.dirname(minion.logFile))];
  await Promise.all(dirs.map((dir) => mkdir(dir, { recursive: true })));
  return layout;
}

function masterOptions(layout: Layout, ports: Ports, options: StartRealSaltOptions): SaltOptions {
  const root = layout.rootDir;
  return {
    interface: '127.0.0.1',
    ipv6: false,
    publish_port: ports.publish,
    ret_port: ports.ret,
    root_dir: root,
    pki_dir: layout.pkiDir,
    // Salt moves sock_dir under cachedir when it is >10 characters longer than cachedir;
    // here it is shorter, so sock_dir stays where it is written.
    cachedir: path.join(root, 'cache', 'master'),
    sock_dir: layout.sockDir,
    log_file: layout.logFile,
    log_level_logfile: options.logLevel ?? 'info',
    pidfile: path.join(root, 'run', 'master.pid'),
    user: os.userInfo().username,
    auto_accept: true,
    // No worker_threads: each release keeps its default worker layout (in 3008 setting it
    // explicitly is what selects the single catch-all pool).
    file_roots: { base: [path.join(root, 'srv', 'salt')] },
    pillar_roots: { base: [path.join(root, 'srv', 'pillar')] },
    external_auth: {
      auto: { [EAUTH_USER]: EAUTH_PERMS },
      sharedsecret: { [EAUTH_USER]: EAUTH_PERMS },
    },
    sharedsecret: SHARED_SECRET,
    netapi_enable_clients: NETAPI_CLIENTS,
    // Salt ignores this section; it lets `salt-api-koa -c <configDir>` start with no other flags.
    rest_koa: { host: '127.0.0.1', port: ports.api, disable_ssl: true },
    ...options.masterConfig,
  };
}

function minionOptions(minion: MinionLayout, ports: Ports, options: StartRealSaltOptions): SaltOptions {
  return {
    id: minion.id,
    master: '127.0.0.1',
    master_port: ports.ret,
    publish_port: ports.publish,
    ipv6: false,
    root_dir: minion.dir,
    pki_dir: path.join(minion.dir, 'pki'),
    cachedir: path.join(minion.dir, 'cache'),
    sock_dir: path.join(minion.dir, 'sock'),
    log_file: minion.logFile,
    log_level_logfile: options.logLevel ?? 'info',
    pidfile: path.join(minion.dir, 'minion.pid'),
    user: os.userInfo().username,
    // Start-up speed: retry key auth every second, no random delays, no DNS lookups for grains.
    acceptance_wait_time: 1,
    acceptance_wait_time_max: 1,
    random_reauth_delay: 0,
    random_startup_delay: 0,
    enable_fqdns_grains: false,
    ...options.minionConfig,
  };
}

async function writeConfig(file: string, options: SaltOptions): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, dump(options), { mode: 0o600 });
}

async function writeConfigs(layout: Layout, ports: Ports, options: StartRealSaltOptions): Promise<void> {
  await writeConfig(layout.masterConfigPath, masterOptions(layout, ports, options));
  for (const minion of layout.minions) await writeConfig(path.join(minion.configDir, 'minion'), minionOptions(minion, ports, options));
}

/** Poll `check` until it is true; fail early when `abort` names a reason (e.g. a daemon died). */
async function waitUntil(what: string, deadline: number, check: () => Promise<boolean>, abort: () => string | undefined): Promise<void> {
  for (;;) {
    const reason = abort();
    if (reason) throw new Error(`${what}: ${reason}`);
    if (await check()) return;
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function tail(file: string, lines: number): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8').trimEnd();
  return `==> ${file} <==\n${text.split('\n').slice(-lines).join('\n')}\n`;
}

/** The Salt daemons of one run and their log files. */
class Daemons {
  private readonly started: GroupProcess[] = [];
  private readonly logFiles: string[] = [];
  private stopped = false;

  constructor(
    private readonly python: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly cwd: string,
  ) {}

  /** salt_entry.py ROLE -c CONFIG_DIR; console output (warnings and up) goes to `outputFile`. */
  async spawn(name: string, role: 'master' | 'minion', configDir: string, logFile: string, outputFile: string): Promise<void> {
    this.logFiles.push(logFile, outputFile);
    const args = [ENTRY, role, '-c', configDir, '-l', 'warning'];
    this.started.push(await spawnGroup(name, this.python, args, { env: this.env, cwd: this.cwd, outputFile }));
  }

  /** Why start-up cannot succeed any more, if a daemon already exited. */
  deadReason(): string | undefined {
    const dead = this.started.find((daemon) => daemon.hasExited());
    return dead && `${dead.name} (pid ${dead.pid}) exited during start-up`;
  }

  logs(lines: number): string {
    return this.logFiles.map((file) => tail(file, lines)).join('');
  }

  /**
   * All at once, with a short grace: a clean Salt shutdown buys nothing here (the root is thrown
   * away) and costs seconds (a minion child ignores SIGTERM; MWorkers take ~2 s).
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.started.map((daemon) => daemon.stop(STOP_GRACE_MS)));
    // Runner jobs run in daemonized processes, outside the daemons' groups.
    await stopStragglers(this.cwd, STRAGGLER_GRACE_MS);
  }
}

/** What Salt itself reports, checked against the version file the harness relies on. */
async function checkReportedVersion(python: string, env: NodeJS.ProcessEnv, expected: string): Promise<string> {
  const reported = await pythonJson(python, env, ['version'], 30_000);
  if (reported !== expected) throw new Error(`Salt reports version ${JSON.stringify(reported)}, expected ${expected} (salt/_version.txt)`);
  return expected;
}

type LocalCmd = RealSalt['localCmd'];

function localCmdFor(python: string, env: NodeJS.ProcessEnv, masterConfigPath: string): LocalCmd {
  return async (target, fun, args = [], timeoutSeconds = 10) => {
    const argv = ['cmd', masterConfigPath, target, fun, JSON.stringify(args), String(timeoutSeconds)];
    const result = await pythonJson(python, env, argv, (timeoutSeconds + 30) * 1000);
    if (typeof result !== 'object' || result === null || Array.isArray(result)) throw new Error(`LocalClient.cmd returned ${JSON.stringify(result)}`);
    return result as Record<string, unknown>;
  };
}

/**
 * salt-key run from the tree (salt.scripts.salt_key, as the installed command does). It reads the
 * master's pki itself, so it is an oracle independent of the master process and of the API.
 */
function saltKeyFor(python: string, env: NodeJS.ProcessEnv, configDir: string): RealSalt['saltKey'] {
  const script = 'import sys, salt.scripts; sys.argv = ["salt-key", *sys.argv[1:]]; salt.scripts.salt_key()';
  return async (args) => {
    const { stdout } = await execFileAsync(python, ['-c', script, '-c', configDir, ...args, '--out', 'json'], { env, timeout: 60_000, killSignal: 'SIGKILL' });
    return JSON.parse(stdout) as unknown;
  };
}

async function startMaster(daemons: Daemons, layout: Layout, ports: Ports, deadline: number): Promise<void> {
  await daemons.spawn('salt-master', 'master', layout.configDir, layout.logFile, layout.outputFile);
  const busAndPortUp = async (): Promise<boolean> => existsSync(path.join(layout.sockDir, 'master_event_pub.ipc')) && (await portAccepts(ports.ret));
  await waitUntil('the master event bus and ret_port', deadline, busAndPortUp, () => daemons.deadReason());
}

/** Start the minions, wait for auto_accept to accept their keys, then for every one to pong. */
async function startMinions(daemons: Daemons, layout: Layout, localCmd: LocalCmd, deadline: number): Promise<void> {
  for (const minion of layout.minions) {
    await daemons.spawn(`salt-minion ${minion.id}`, 'minion', minion.configDir, minion.logFile, minion.outputFile);
  }
  const accepted = async (): Promise<boolean> => layout.minions.every((minion) => existsSync(path.join(layout.pkiDir, 'minions', minion.id)));
  await waitUntil('the minion keys to be accepted', deadline, accepted, () => daemons.deadReason());
  // A minion answers only once it is also connected to the publisher, so retry the whole ping.
  const allPong = async (): Promise<boolean> => {
    const replies = await localCmd('*', 'test.ping', [], 5).catch(() => ({}) as Record<string, unknown>);
    return layout.minions.every((minion) => replies[minion.id] === true);
  };
  await waitUntil('test.ping answers from every minion', deadline, allPong, () => daemons.deadReason());
}

/**
 * Start a master and `minions` minions from `saltSrc` and wait until every minion answers
 * test.ping through the master. On failure everything started is stopped, the temp root is kept
 * and the error message carries the tail of every log.
 */
export async function startRealSalt(options: StartRealSaltOptions): Promise<RealSalt> {
  const saltSrc = path.resolve(options.saltSrc);
  if (!existsSync(path.join(saltSrc, 'salt', '__init__.py'))) throw new Error(`${saltSrc} is not a Salt source tree (no salt/__init__.py)`);
  const python = options.python ?? process.env.SALT_REAL_PYTHON ?? '/usr/bin/python3';
  const env = pythonEnv(saltSrc);
  const started = Date.now();
  const deadline = started + (options.readyTimeoutMs ?? 90_000);
  const keepRootDir = options.keepRootDir ?? process.env.SALT_REAL_KEEP === '1';

  const expectedVersion = await releaseVersion(saltSrc);
  const layout = await makeLayout(options.tmpParent ?? os.tmpdir(), options.minions ?? 1);
  const ports = await pickPorts();
  await writeConfigs(layout, ports, options);
  const daemons = new Daemons(python, env, layout.rootDir);
  const localCmd = localCmdFor(python, env, layout.masterConfigPath);
  const version = checkReportedVersion(python, env, expectedVersion);
  version.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"

  try {
    await startMaster(daemons, layout, ports, deadline);
    const masterMs = Date.now() - started;
    await startMinions(daemons, layout, localCmd, deadline);
    const minionsMs = Date.now() - started;
    return {
      configDir: layout.configDir,
      masterConfigPath: layout.masterConfigPath,
      rootDir: layout.rootDir,
      sockDir: layout.sockDir,
      pkiDir: layout.pkiDir,
      retPort: ports.ret,
      publishPort: ports.publish,
      apiPort: ports.api,
      version: await version,
      minionIds: layout.minions.map((minion) => minion.id),
      timings: { masterMs, minionsMs },
      localCmd,
      saltKey: saltKeyFor(python, env, layout.configDir),
      stop: async () => {
        await daemons.stop();
        if (!keepRootDir) await rm(layout.rootDir, { recursive: true, force: true });
      },
      logs: (lines = 80) => daemons.logs(lines),
    };
  } catch (error) {
    const diagnosis = daemons.logs(40);
    await daemons.stop();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`real Salt from ${saltSrc} did not start: ${message}\n(root dir kept: ${layout.rootDir})\n${diagnosis}`, { cause: error });
  }
}
