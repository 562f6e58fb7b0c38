/**
 * Master options + the API section (`rest_koa`, else `rest_cherrypy`) → validated Settings.
 * Defaults are salt-api's (http-api.md §8, §8.1); anything salt-api would choke on later, or
 * silently misread, is refused up front with a one-line ConfigError naming the option.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { CLIENT_NAMES, type ClientName, type SaltValue } from '../salt/types.js';
import { ConfigError, errorCode } from './configError.js';
import { MASTER_DEFAULTS } from './defaults.js';
import { type ConfigMap, isConfigMap } from './merge.js';
import { OptionReader, invalid, stringItems } from './options.js';
import { setMember } from '../../serializers/set-member.js';
import type { ApiAcl, ApiOptions, AuthThrottleOptions, ExternalAuth, MasterSettings, Settings } from './types.js';

export type ApiSectionName = 'rest_koa' | 'rest_cherrypy';

/** Options of the API section we know; anything else is reported through `onWarning`. */
const API_OPTIONS: ReadonlySet<string> = new Set([
  'port', 'host', 'debug', 'ssl_crt', 'ssl_key', 'ssl_chain', 'disable_ssl', 'webhook_disable_auth',
  'webhook_url', 'thread_pool', 'socket_queue_size', 'queue_size', 'expire_responses',
  'max_request_body_size', 'collect_stats', 'stats_disable_auth', 'static', 'static_path', 'app',
  'app_path', 'root_prefix', 'enable_sessions', 'log_access_file', 'log_error_file', 'api_acl',
  'authorized_ips', 'favicon', 'cors_origin', 'trusted_proxies', 'workers', 'events_heartbeat',
  'events_ring_size', 'events_ring_bytes', 'master_timeout', 'master_pool_size', 'token_cache_ttl', 'max_body_depth',
  'max_header_size', 'max_url_length', 'headers_timeout', 'request_timeout', 'keepalive_timeout', 'shutdown_grace',
  'event_pull_framing', 'ssh_max_concurrent', 'log_health_checks', 'audit_log_file', 'audit_log_args', 'auth_throttle',
  'metrics_disable_auth', 'enable_metrics',
]);

export const AUTH_THROTTLE_DEFAULTS: AuthThrottleOptions = {
  enabled: true,
  max_failures_per_ip: 50,
  max_failures_per_user_ip: 10,
  max_failures_per_user: 100,
  window: 600,
  block: 900,
};

/** `rest_koa` when set (not absent or null), else `rest_cherrypy` when set, else `rest_koa`. */
export function apiSectionName(raw: ConfigMap): ApiSectionName {
  if (raw.rest_koa != null) return 'rest_koa';
  return raw.rest_cherrypy != null ? 'rest_cherrypy' : 'rest_koa';
}

function isSaltValue(value: unknown): value is SaltValue {
  if (value === null || value instanceof Uint8Array) return true;
  if (['boolean', 'number', 'string'].includes(typeof value)) return true;
  if (Array.isArray(value)) return value.every(isSaltValue);
  return isConfigMap(value) && Object.values(value).every(isSaltValue);
}

function mapping(value: unknown, name: string, what: string): ConfigMap {
  return isConfigMap(value) ? value : invalid(name, what, value);
}

function externalAuth(master: OptionReader): ExternalAuth {
  const backends = mapping(master.get('external_auth') ?? {}, 'external_auth', 'a mapping of eauth backends');
  const result: ExternalAuth = {};
  for (const [backend, users] of Object.entries(backends)) {
    const name = `external_auth.${backend}`;
    const acl: Record<string, SaltValue[]> = {};
    for (const [user, entries] of Object.entries(mapping(users, name, 'a mapping of users/groups to permission lists'))) {
      if (!Array.isArray(entries) || !entries.every(isSaltValue)) invalid(`${name}.${user}`, 'a list of permissions', entries);
      setMember(acl, user, entries);
    }
    setMember(result, backend, acl);
  }
  return result;
}

function isClientName(item: unknown): item is ClientName {
  return (CLIENT_NAMES as readonly unknown[]).includes(item);
}

function clientName(item: unknown, name: string): ClientName {
  return isClientName(item) ? item : invalid(name, `one of ${CLIENT_NAMES.join(', ')}`, item);
}

function masterSettings(raw: ConfigMap): MasterSettings {
  const master = new OptionReader(raw, '');
  const transport = master.string('transport', MASTER_DEFAULTS.transport);
  if (transport !== 'zeromq') invalid('transport', '"zeromq" (the only master transport salt-api-koa speaks)', transport);
  const ipcMode = master.string('ipc_mode', MASTER_DEFAULTS.ipc_mode);
  if (ipcMode !== 'ipc' && ipcMode !== 'tcp') invalid('ipc_mode', '"ipc" or "tcp"', ipcMode);
  // client_config: a wildcard bind address is not something to connect to.
  const bindAddress = master.nonEmptyString('interface', MASTER_DEFAULTS.interface);
  const connectAddress = bindAddress === '0.0.0.0' ? '127.0.0.1' : bindAddress === '::' ? '::1' : bindAddress;
  return {
    interface: connectAddress,
    ret_port: master.port('ret_port', MASTER_DEFAULTS.ret_port, 1),
    sock_dir: master.nonEmptyString('sock_dir', MASTER_DEFAULTS.sock_dir),
    ipc_mode: ipcMode,
    tcp_master_pub_port: master.port('tcp_master_pub_port', MASTER_DEFAULTS.tcp_master_pub_port, 1),
    tcp_master_pull_port: master.port('tcp_master_pull_port', MASTER_DEFAULTS.tcp_master_pull_port, 1),
    external_auth: externalAuth(master),
    netapi_enable_clients: master.list('netapi_enable_clients', [], clientName),
    netapi_allow_raw_shell: master.boolean('netapi_allow_raw_shell', MASTER_DEFAULTS.netapi_allow_raw_shell),
    token_expire: master.seconds('token_expire', MASTER_DEFAULTS.token_expire),
    timeout: master.seconds('timeout', MASTER_DEFAULTS.timeout),
    gather_job_timeout: master.seconds('gather_job_timeout', MASTER_DEFAULTS.gather_job_timeout),
    rest_timeout: master.seconds('rest_timeout', MASTER_DEFAULTS.rest_timeout),
    salt_ssh_path: saltSshPath(master),
    salt_ssh_config_dir: absoluteDirectory(master, 'salt_ssh_config_dir', defaultConfigDir(raw)),
    rosters: master.list('rosters', [], (item, name) =>
      typeof item === 'string' && path.isAbsolute(item) ? item : invalid(name, 'an absolute directory path', item),
    ),
  };
}

/**
 * A bare command name is looked up on PATH when salt-ssh runs; anything with a `/` must be
 * absolute, since a relative path would depend on the API's working directory.
 */
function saltSshPath(master: OptionReader): string {
  const value = master.nonEmptyString('salt_ssh_path', MASTER_DEFAULTS.salt_ssh_path);
  if (/[\x00-\x1f\x7f]/.test(value) || (value.includes('/') && !path.isAbsolute(value))) {
    invalid('salt_ssh_path', 'a command name found on PATH or an absolute path', value);
  }
  return value;
}

function absoluteDirectory(master: OptionReader, key: string, fallback: string): string {
  const value = master.nonEmptyString(key, fallback);
  if (!path.isAbsolute(value)) invalid(key, 'an absolute directory path', value);
  return value;
}

/** salt-ssh reads the same master config as the API: the directory of `conf_file` when known. */
function defaultConfigDir(raw: ConfigMap): string {
  return typeof raw.conf_file === 'string' && path.isAbsolute(raw.conf_file) ? path.dirname(raw.conf_file) : MASTER_DEFAULTS.config_dir;
}

/**
 * A URL mount point as `/a/b`. salt-api strips the leading `/` of webhook_url and app_path and
 * mounts them as one path segment, so those must be exactly one segment.
 */
function mountPath(api: OptionReader, key: string, fallback: string, shape: 'segment' | 'path' | 'prefix'): string {
  const value = api.string(key, fallback);
  const trimmed = value.replace(/^\/+|\/+$/g, '');
  if (shape === 'segment' && (trimmed === '' || trimmed.includes('/'))) {
    invalid(api.name(key), `a single path segment such as "${fallback}"`, value);
  }
  if (shape === 'path' && trimmed === '') invalid(api.name(key), `a URL path such as "${fallback}"`, value);
  return `/${trimmed}`;
}

/** CherryPy's staticdir and serve_file refuse relative paths (at request time); refuse them now. */
function absolutePath(api: OptionReader, key: string): string | undefined {
  const value = api.optionalString(key);
  if (value !== undefined && !path.isAbsolute(value)) invalid(api.name(key), 'an absolute path', value);
  return value;
}

function readableFile(api: OptionReader, key: string): string | undefined {
  const file = api.optionalString(key);
  if (file === undefined) return undefined;
  let problem: string | undefined;
  try {
    accessSync(file, constants.R_OK);
    if (!statSync(file).isFile()) problem = 'not a regular file';
  } catch (error) {
    problem = errorCode(error);
  }
  if (problem !== undefined) throw new ConfigError(`${api.name(key)}: cannot read ${JSON.stringify(file)} (${problem})`);
  return file;
}

function ipOrCidr(item: unknown, name: string): string {
  if (typeof item === 'string') {
    const [address = '', bits, extra] = item.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    if (family !== 0 && extra === undefined && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits))) return item;
  }
  return invalid(name, 'an IP address or CIDR range', item);
}

/** salt_api_acl_tool: an empty api_acl means "no check"; present but without users means "deny". */
function apiAcl(api: OptionReader): ApiAcl | undefined {
  const acl = mapping(api.get('api_acl') ?? {}, api.name('api_acl'), 'a mapping with a "users" key');
  if (Object.keys(acl).length === 0) return undefined;
  if (acl.users == null) return {};
  const name = api.name('api_acl.users');
  const users: Record<string, string[]> = {};
  for (const [user, ips] of Object.entries(mapping(acl.users, name, 'a mapping of users to IP lists'))) {
    setMember(users, user, stringItems(ips, `${name}.${user}`));
  }
  return { users };
}

function corsOrigin(api: OptionReader): string | string[] | undefined {
  const value = api.get('cors_origin');
  if (value === undefined || typeof value === 'string') return api.optionalString('cors_origin');
  return api.list('cors_origin', [], (item, name) =>
    typeof item === 'string' && item !== '' ? item : invalid(name, 'a non-empty string', item),
  );
}

function apiOptions(api: OptionReader): ApiOptions {
  const disableSsl = api.boolean('disable_ssl', false);
  if (!disableSsl) {
    // rest_cherrypy.start() refuses to serve without both, unless SSL is explicitly disabled.
    for (const key of ['ssl_crt', 'ssl_key']) {
      if (!api.has(key)) throw new ConfigError(`${api.name(key)}: required unless disable_ssl is true`);
    }
  }
  // With SSL disabled salt-api never opens these files, so neither do we.
  const sslFile = disableSsl ? (key: string) => api.optionalString(key) : (key: string) => readableFile(api, key);
  // salt-api compared strings; an entry that is no address would silently never match, so refuse it.
  const authorizedIps = api.stringList('authorized_ips', []).map((item, index) => ipOrCidr(item, `${api.name('authorized_ips')}[${index}]`));
  return {
    port: api.port('port', 8000, 0),
    host: api.nonEmptyString('host', '0.0.0.0'),
    debug: api.boolean('debug', false),
    ssl_crt: sslFile('ssl_crt'),
    ssl_key: sslFile('ssl_key'),
    ssl_chain: sslFile('ssl_chain'),
    disable_ssl: disableSsl,
    webhook_disable_auth: api.boolean('webhook_disable_auth', false),
    webhook_url: mountPath(api, 'webhook_url', '/hook', 'segment'),
    // Validated for salt-api compatibility, otherwise unused: Node serves from one event loop
    // per process; `workers` is the knob for more processes.
    thread_pool: api.integer('thread_pool', 100, 1),
    // The documented name is socket_queue_size, but salt-api only reads queue_size: honour both.
    // Node's backlog (511), not salt-api's 30: with 30, a burst of connections (or a slowloris
    // attack) has the kernel drop handshakes, and every client caught in it waits a second to retry.
    socket_queue_size: api.has('queue_size') ? api.integer('queue_size', 511, 0) : api.integer('socket_queue_size', 511, 0),
    expire_responses: api.boolean('expire_responses', true),
    max_request_body_size: api.integer('max_request_body_size', 1048576, 0),
    collect_stats: api.boolean('collect_stats', false),
    stats_disable_auth: api.boolean('stats_disable_auth', false),
    metrics_disable_auth: api.boolean('metrics_disable_auth', false),
    enable_metrics: api.boolean('enable_metrics', true),
    static: absolutePath(api, 'static'),
    static_path: mountPath(api, 'static_path', '/static', 'path'),
    app: absolutePath(api, 'app'),
    app_path: mountPath(api, 'app_path', '/app', 'segment'),
    root_prefix: mountPath(api, 'root_prefix', '/', 'prefix'),
    enable_sessions: api.boolean('enable_sessions', true),
    log_access_file: api.string('log_access_file', ''),
    log_error_file: api.string('log_error_file', ''),
    api_acl: apiAcl(api),
    // salt_ip_verify_tool only checks when the list is non-empty.
    authorized_ips: authorizedIps.length > 0 ? authorizedIps : undefined,
    favicon: absolutePath(api, 'favicon'),
    cors_origin: corsOrigin(api),
    trusted_proxies: api.list('trusted_proxies', [], ipOrCidr),
    workers: api.integer('workers', 1, 1),
    events_heartbeat: api.seconds('events_heartbeat', 15),
    events_ring_size: api.integer('events_ring_size', 1000, 0),
    events_ring_bytes: api.integer('events_ring_bytes', 8 * 1024 * 1024, 0),
    master_timeout: api.seconds('master_timeout', 5, true),
    master_pool_size: api.integer('master_pool_size', 32, 1),
    token_cache_ttl: api.seconds('token_cache_ttl', 5),
    max_body_depth: api.integer('max_body_depth', 100, 1),
    // Below 1 KiB not even an ordinary browser request fits.
    max_header_size: api.integer('max_header_size', 16384, 1024),
    max_url_length: api.integer('max_url_length', 8192, 1),
    ...connectionTimeouts(api),
    shutdown_grace: api.seconds('shutdown_grace', 10),
    event_pull_framing: pullFraming(api),
    ssh_max_concurrent: api.integer('ssh_max_concurrent', 8, 1),
    log_health_checks: api.boolean('log_health_checks', false),
    audit_log_file: api.string('audit_log_file', ''),
    audit_log_args: api.boolean('audit_log_args', false),
    auth_throttle: authThrottle(api),
  };
}

/**
 * `auth_throttle`: true or false (the defaults, on or off), or a mapping of the defaults'
 * keys. An unknown key is refused rather than ignored: a misspelt limit would silently not apply.
 */
function authThrottle(api: OptionReader): AuthThrottleOptions {
  const value = api.get('auth_throttle');
  if (value === undefined || typeof value === 'boolean') return { ...AUTH_THROTTLE_DEFAULTS, enabled: value ?? true };
  const name = api.name('auth_throttle');
  const section = new OptionReader(mapping(value, name, 'true, false or a mapping of limits'), `${name}.`);
  for (const key of section.keys()) {
    if (!Object.hasOwn(AUTH_THROTTLE_DEFAULTS, key)) {
      throw new ConfigError(`${section.name(key)}: unknown option (known: ${Object.keys(AUTH_THROTTLE_DEFAULTS).join(', ')})`);
    }
  }
  const defaults = AUTH_THROTTLE_DEFAULTS;
  return {
    enabled: section.boolean('enabled', defaults.enabled),
    max_failures_per_ip: section.integer('max_failures_per_ip', defaults.max_failures_per_ip, 1),
    max_failures_per_user_ip: section.integer('max_failures_per_user_ip', defaults.max_failures_per_user_ip, 1),
    max_failures_per_user: section.integer('max_failures_per_user', defaults.max_failures_per_user, 0),
    window: section.integer('window', defaults.window, 1),
    block: section.integer('block', defaults.block, 0),
  };
}

/** `auto` (found by probing, salt-versions.md §2), or the framing the master's pull socket reads. */
function pullFraming(api: OptionReader): ApiOptions['event_pull_framing'] {
  const value = api.string('event_pull_framing', 'auto');
  if (value !== 'auto' && value !== 'plain' && value !== 'prefixed') invalid(api.name('event_pull_framing'), '"auto", "plain" or "prefixed"', value);
  return value;
}

/**
 * Node refuses a headers timeout longer than the request timeout (the headers are part of the
 * request), so that is a configuration error here rather than a crash at start-up.
 */
function connectionTimeouts(api: OptionReader): Pick<ApiOptions, 'headers_timeout' | 'request_timeout' | 'keepalive_timeout'> {
  const headers = api.seconds('headers_timeout', 20, true);
  const request = api.seconds('request_timeout', 60);
  if (request > 0 && headers > request) {
    invalid(api.name('headers_timeout'), `at most request_timeout (${request})`, headers);
  }
  return { headers_timeout: headers, request_timeout: request, keepalive_timeout: api.seconds('keepalive_timeout', 5) };
}

/**
 * Validate `raw` (merged master options, e.g. from loadMasterConfig) into Settings. Throws a
 * ConfigError on the first bad value; unknown options of the API section are only reported.
 */
export function settingsFromMaster(
  raw: ConfigMap,
  source: string,
  onWarning: (message: string) => void = () => {},
): Settings {
  const sectionName = apiSectionName(raw);
  const section = mapping(raw[sectionName] ?? {}, sectionName, 'a mapping of options');
  const api = new OptionReader(section, `${sectionName}.`);
  const settings: Settings = { master: masterSettings(raw), api: apiOptions(api), source };
  for (const key of api.keys()) {
    if (!API_OPTIONS.has(key)) onWarning(`${api.name(key)}: unknown option, ignored`);
  }
  return settings;
}
