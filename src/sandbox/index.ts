/**
 * An embedded, simulated Salt master: it speaks the real wire protocol (ZeroMQ request server,
 * unix-socket event bus) on real sockets, answers like the Salt release it is told to be (default
 * the newest, see release.ts) and simulates its minions.
 * Nothing is ever executed on the host: minion functions return canned data.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExternalAuth } from '../config/types.js';
import { CLIENT_NAMES, type SaltMap, type SaltValue } from '../salt/types.js';
import { Auth, type SandboxUser, type TokenExpireOverride } from './auth.js';
import { RequestChannel } from './channel.js';
import { ClearFuncs } from './clearFuncs.js';
import type { ExecutionRecord, MasterContext, Recorder } from './context.js';
import { DEFAULT_SUBSCRIBER_BACKLOG, EventBus } from './eventBus.js';
import { ReturnPacer } from './returnPacer.js';
import { JobCache } from './jobs.js';
import { KeyStore, type KeyState } from './keys.js';
import { Fleet, type SandboxMinionOptions } from './minions.js';
import { RequestServer } from './requestServer.js';
import { Timers } from './timers.js';
import { listenUnix, type UnixServer } from './unixSocket.js';
import { Wheel } from './wheel.js';
import { saltRelease, type SaltRelease } from '../salt/releases.js';

export type { SandboxUser } from './auth.js';
export type { ExecutionRecord } from './context.js';
export type { SandboxMinionOptions } from './minions.js';
export { RELEASE_GENERATIONS, DEFAULT_RELEASE } from '../salt/releases.js';
export { DEFAULT_SUBSCRIBER_BACKLOG } from './eventBus.js';

export interface SandboxOptions {
  /** The Salt release to behave as, e.g. `3006.27` (default: the newest, release.ts). */
  release?: string;
  /** The master's `minimum_auth_version`, when not the release's own (`"bad load"` below it). */
  minimumAuthVersion?: number;
  /** A count (`minion-1`…`minion-N`), ids, or ids with options; default `['minion-1', 'minion-2']`. */
  minions?: number | string[] | Record<string, SandboxMinionOptions>;
  /** Default `{ saltdev: { password: 'saltdev' } }`. */
  users?: Record<string, SandboxUser>;
  /** Default: `saltdev: ['.*', '@runner', '@wheel', '@jobs']` for each of auto, sharedsecret, pam. */
  externalAuth?: ExternalAuth;
  /** Seconds a token lives; default 43200. */
  tokenExpire?: number;
  /** Whether a `token_expire` in `mk_token` is honoured (`token_expire_user_override`); default false. */
  tokenExpireUserOverride?: TokenExpireOverride;
  /** Seconds a failed eauth attempt is held back (the real master pads to ~1 s); default 0.05. */
  authFailureDelay?: number;
  pendingKeys?: string[];
  rejectedKeys?: string[];
  deniedKeys?: string[];
  /** Default: a fresh temporary directory, removed by `stop()`. */
  sockDir?: string;
  /** Default 0: an ephemeral port on 127.0.0.1. */
  retPort?: number;
  /** Seconds every request-server reply is delayed ("slow master"). */
  replyDelay?: number;
  /** Keep `requests` and `executed`; default true. Off for long-running processes. */
  record?: boolean;
  /**
   * Seconds over which a job's returns are spread, each minion answering at its own point in the
   * window, as a real fleet does; default 0 (every minion answers after the same few milliseconds).
   */
  returnWindow?: number;
  /**
   * Bytes the bus queues for a subscriber that does not read before dropping it; default
   * {@link DEFAULT_SUBSCRIBER_BACKLOG} (128 MiB, every `grains.items` return of 20,000 minions).
   */
  busBacklog?: number;
}

export interface Sandbox {
  /** A master config as if read from /etc/salt/master. */
  config: Record<string, unknown>;
  /** Make a minion slow, down or normal at run time (unknown ids become new accepted minions). */
  setMinion(id: string, options: SandboxMinionOptions): void;
  setReplyDelay(seconds: number): void;
  /** Answer the next request with `reply` instead of running it (a 3008 worker-pool error, say). */
  injectReply(reply: SaltValue): void;
  /** The release being reproduced. */
  release: SaltRelease;
  /** Every decoded request load received, in order. */
  requests: SaltMap[];
  /** Every simulated execution on a minion. */
  executed: ExecutionRecord[];
  /** Publish an event on the bus as the master would (adds `_stamp`). */
  fireEvent(tag: string, data: SaltMap): void;
  /** Close the request server and the bus sockets (the master dies); state is kept. */
  stopMaster(): Promise<void>;
  /** Rebind the same port and socket paths (the master restarts). */
  startMaster(): Promise<void>;
  /** Stop everything and remove the temporary directory. */
  stop(): Promise<void>;
}

const DEFAULT_MINIONS = ['minion-1', 'minion-2'];
const DEFAULT_EAUTH_BACKENDS = ['auto', 'sharedsecret', 'pam'];
const MASTER_ID = 'sandbox_master';
const HOST = '127.0.0.1';

function defaultExternalAuth(): ExternalAuth {
  return Object.fromEntries(
    DEFAULT_EAUTH_BACKENDS.map((backend) => [backend, { saltdev: ['.*', '@runner', '@wheel', '@jobs'] }]),
  );
}

function minionEntries(minions: SandboxOptions['minions']): [string, SandboxMinionOptions][] {
  if (minions === undefined) return DEFAULT_MINIONS.map((id) => [id, {}]);
  if (typeof minions === 'number') return Array.from({ length: minions }, (_, i) => [`minion-${i + 1}`, {}]);
  if (Array.isArray(minions)) return minions.map((id) => [id, {}]);
  return Object.entries(minions);
}

/**
 * The other sockets of a master's sock_dir. Clients only check they exist (salt-api's "is the
 * master running" test); connections to them are closed at once. With 3008's worker pools,
 * `workers.ipc` is a plain marker file rather than a socket.
 */
async function listenMarkers(sockDir: string, release: SaltRelease): Promise<Marker[]> {
  const names = release.workerPools ? ['publish_pull.ipc'] : ['workers.ipc', 'publish_pull.ipc'];
  const sockets: Marker[] = await Promise.all(names.map((name) => listenUnix(join(sockDir, name), (socket) => socket.destroy())));
  if (!release.workerPools) return sockets;
  const file = join(sockDir, 'workers.ipc');
  await writeFile(file, '', { mode: 0o600 });
  return [...sockets, { close: () => rm(file, { force: true }) }];
}

type Marker = Pick<UnixServer, 'close'>;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const ownDir = options.sockDir === undefined;
  const sockDir = options.sockDir ?? (await mkdtemp(join(tmpdir(), 'salt-sandbox-')));
  if (!ownDir) await mkdir(sockDir, { recursive: true, mode: 0o700 });

  const timers = new Timers();
  const keys = new KeyStore();
  const fleet = new Fleet(keys);
  for (const [id, minionOptions] of minionEntries(options.minions)) {
    keys.set(id, 'minions');
    fleet.set(id, minionOptions);
  }
  const otherKeys: [string[] | undefined, KeyState][] = [
    [options.pendingKeys, 'minions_pre'],
    [options.rejectedKeys, 'minions_rejected'],
    [options.deniedKeys, 'minions_denied'],
  ];
  for (const [ids, state] of otherKeys) {
    // These hosts run a minion that waits for its key to be accepted.
    for (const id of ids ?? []) {
      keys.set(id, state);
      if (fleet.get(id) === undefined) fleet.set(id, {});
    }
  }

  const externalAuth = options.externalAuth ?? defaultExternalAuth();
  const tokenExpire = options.tokenExpire ?? 43200;
  const auth = new Auth(
    {
      users: options.users ?? { saltdev: { password: 'saltdev' } },
      externalAuth,
      tokenExpire,
      tokenExpireUserOverride: options.tokenExpireUserOverride ?? false,
      failureDelay: options.authFailureDelay ?? 0.05,
    },
    timers,
  );
  const release = saltRelease(options.release);
  const bus = new EventBus(sockDir, release, options.busBacklog ?? DEFAULT_SUBSCRIBER_BACKLOG);
  const recorder: Recorder = { requests: [], executed: [], enabled: options.record ?? true };
  let online = false;
  let port = options.retPort ?? 0;
  let replyDelay = options.replyDelay ?? 0;
  const masterOptions: SaltMap = {
    id: MASTER_ID,
    interface: HOST,
    sock_dir: sockDir,
    ipc_mode: 'ipc',
    transport: 'zeromq',
    hash_type: 'sha256',
    timeout: 5,
    gather_job_timeout: 10,
    token_expire: tokenExpire,
    keep_jobs_seconds: 86400,
  };
  const ctx: MasterContext = {
    masterId: MASTER_ID,
    bus,
    keys,
    fleet,
    jobs: new JobCache(),
    auth,
    timers,
    returns: new ReturnPacer(),
    returnWindowMs: Math.max(0, options.returnWindow ?? 0) * 1000,
    recorder,
    get online() {
      return online;
    },
    options: masterOptions,
    release,
  };
  const channel = new RequestChannel(
    new ClearFuncs(ctx, new Wheel(ctx)),
    (load) => {
      if (recorder.enabled) recorder.requests.push(load);
    },
    release,
    options.minimumAuthVersion,
  );
  const injected: SaltValue[] = [];
  const server = new RequestServer(channel, timers, () => replyDelay, () => injected.shift());
  let markers: Marker[] = [];

  const startMaster = async (): Promise<void> => {
    if (online) return;
    await bus.start();
    markers = await listenMarkers(sockDir, release);
    port = await server.bind(HOST, port);
    masterOptions.ret_port = port;
    online = true;
  };
  const stopMaster = async (): Promise<void> => {
    if (!online) return;
    online = false;
    await server.close();
    await Promise.all([bus.stop(), ...markers.map((marker) => marker.close())]);
    markers = [];
  };

  await startMaster();

  const config: Record<string, unknown> = {
    interface: HOST,
    ret_port: port,
    sock_dir: sockDir,
    ipc_mode: 'ipc',
    external_auth: externalAuth,
    netapi_enable_clients: [...CLIENT_NAMES],
    token_expire: tokenExpire,
    timeout: 5,
    gather_job_timeout: 10,
    rest_timeout: 300,
    rest_koa: { port: 8000, host: HOST, disable_ssl: true },
  };
  if (options.tokenExpireUserOverride !== undefined) config.token_expire_user_override = options.tokenExpireUserOverride;

  return {
    config,
    requests: recorder.requests,
    executed: recorder.executed,
    setMinion(id: string, minionOptions: SandboxMinionOptions) {
      if (keys.state(id) === undefined) keys.set(id, 'minions');
      fleet.set(id, minionOptions);
    },
    setReplyDelay(seconds: number) {
      replyDelay = Math.max(0, seconds);
    },
    injectReply(reply: SaltValue) {
      injected.push(reply);
    },
    release,
    fireEvent(tag: string, data: SaltMap) {
      bus.fire(tag, data);
    },
    stopMaster,
    startMaster,
    async stop() {
      await stopMaster();
      timers.clear();
      if (ownDir) await rm(sockDir, { recursive: true, force: true });
    },
  };
}

