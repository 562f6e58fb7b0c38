/** Typed settings: the master options salt-api-koa uses and the `rest_koa`/`rest_cherrypy` section. */
import type { SaltValue } from '../salt/types.js';

/** eauth ACLs as in the master's `external_auth`: backend → user, `*` or `group%` → entries. */
export type ExternalAuth = Record<string, Record<string, SaltValue[]>>;

/** Master options read from the master config (wire.md, http-api.md §8.1). */
export interface MasterSettings {
  interface: string;
  ret_port: number;
  sock_dir: string;
  ipc_mode: 'ipc' | 'tcp';
  tcp_master_pub_port: number;
  tcp_master_pull_port: number;
  external_auth: ExternalAuth;
  netapi_enable_clients: string[];
  netapi_allow_raw_shell: boolean;
  token_expire: number;
  timeout: number;
  gather_job_timeout: number;
  rest_timeout: number;
  /** The salt-ssh executable the `ssh` client runs: a command name looked up on PATH, or an absolute path. */
  salt_ssh_path: string;
  /** The directory salt-ssh reads its `master` config from (`salt-ssh -c`). */
  salt_ssh_config_dir: string;
  /** Salt's `rosters`: the only directories a chunk's `roster_file` is looked up in. */
  rosters: string[];
}

export interface ApiAcl {
  users?: Record<string, string[]>;
}

/** `auth_throttle`: how many failed authentications are answered before 429 (README "Brute-force protection"). */
export interface AuthThrottleOptions {
  enabled: boolean;
  /** Failures from one client address, whatever the user names, within `window`. */
  max_failures_per_ip: number;
  /** Failures for one user name from one client address within `window`; a success clears them. */
  max_failures_per_user_ip: number;
  /** Failures for one user name from all addresses together within `window`; 0 for no such limit. */
  max_failures_per_user: number;
  /** Seconds over which failures are counted. */
  window: number;
  /** Seconds a client past a limit is refused (429) without the master being asked. */
  block: number;
}

/** The API's own section (`rest_koa`, falling back to `rest_cherrypy`), http-api.md §8 plus our extras. */
export interface ApiOptions {
  port: number;
  host: string;
  debug: boolean;
  ssl_crt?: string;
  ssl_key?: string;
  ssl_chain?: string;
  disable_ssl: boolean;
  webhook_disable_auth: boolean;
  webhook_url: string;
  thread_pool: number;
  socket_queue_size: number;
  expire_responses: boolean;
  max_request_body_size: number;
  collect_stats: boolean;
  stats_disable_auth: boolean;
  /** `GET /metrics` without a session (restrict it with authorized_ips or the network instead). */
  metrics_disable_auth: boolean;
  /** Off: no `/metrics` (404) and nothing counted for it. */
  enable_metrics: boolean;
  static?: string;
  static_path: string;
  app?: string;
  app_path: string;
  root_prefix: string;
  enable_sessions: boolean;
  log_access_file: string;
  log_error_file: string;
  api_acl?: ApiAcl;
  authorized_ips?: string[];
  favicon?: string;
  /** Extras of salt-api-koa (README "Configuration"). */
  cors_origin?: string | string[];
  trusted_proxies: string[];
  workers: number;
  events_heartbeat: number;
  events_ring_size: number;
  /** Wire bytes of the events kept for replay: a big event (a big fleet's job) is not kept. */
  events_ring_bytes: number;
  /** Seconds a master request may take before the API answers 503. */
  master_timeout: number;
  /** ZeroMQ REQ sockets kept open to the master's request server. */
  master_pool_size: number;
  /** Seconds a validated token is trusted before asking the master again (never past its expire). */
  token_cache_ttl: number;
  /** Nesting depth accepted in JSON/YAML bodies. */
  max_body_depth: number;
  /** Bytes of request line plus headers Node's parser accepts (431 beyond). */
  max_header_size: number;
  /** Characters of path plus query accepted (414 beyond). */
  max_url_length: number;
  /** Seconds a client has to send the request line and headers (408 after). */
  headers_timeout: number;
  /** Seconds a client has to send the whole request, body included (408 after); 0 for no limit. */
  request_timeout: number;
  /** Seconds an idle keep-alive connection is kept open; 0 for no limit. */
  keepalive_timeout: number;
  /** Seconds in-flight requests get to finish when the server stops. */
  shutdown_grace: number;
  /** Framing of events written to the master's pull socket: found by probing, or set (salt-versions.md §2). */
  event_pull_framing: 'auto' | 'plain' | 'prefixed';
  /** salt-ssh processes this API process runs at once; an `ssh` chunk past it gets 503. */
  ssh_max_concurrent: number;
  /** Whether /healthz and /readyz get access log lines (a balancer polls them every few seconds). */
  log_health_checks: boolean;
  /** One JSON line per login and per command that reaches the master; empty for none. */
  audit_log_file: string;
  /** Whether audit lines carry the commands' `arg` and `kwarg` (they may hold secrets). */
  audit_log_args: boolean;
  auth_throttle: AuthThrottleOptions;
}

export interface Settings {
  api: ApiOptions;
  master: MasterSettings;
  /** Where the settings came from, for the first log line. */
  source: string;
}
