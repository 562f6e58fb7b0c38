/** Master config loading (includes, YAML dialect, sock_dir rules) and settings validation. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError } from '../src/config/configError.js';
import { loadMasterConfig } from '../src/config/masterConfig.js';
import { apiSectionName, settingsFromMaster } from '../src/config/settings.js';
import type { Settings } from '../src/config/types.js';

let root: string;

/** Write `files` (relative path → content) under a fresh directory and return it. */
function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(root, 'conf-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

async function configError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

function settingsError(raw: Record<string, unknown>): string {
  try {
    settingsFromMaster(raw, 'test');
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    const { message } = error as ConfigError;
    expect(message, 'one line').to.not.include('\n');
    return message;
  }
  throw new Error('expected a ConfigError');
}

/** Plain-HTTP API section, so tests not about SSL need no certificate. */
function plain(api: Record<string, unknown> = {}, master: Record<string, unknown> = {}): Settings {
  return settingsFromMaster({ ...master, rest_koa: { disable_ssl: true, ...api } }, 'test');
}

before(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-config-'));
});

after(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('loadMasterConfig', () => {
  it('reads <dir>/master for a directory and the file itself for a file', async () => {
    const dir = configDir({ master: 'ret_port: 4600\n', other: 'ret_port: 4700\n' });
    expect((await loadMasterConfig(dir)).ret_port).to.equal(4600);
    const fromFile = await loadMasterConfig(path.join(dir, 'other'));
    expect(fromFile.ret_port).to.equal(4700);
    expect(fromFile.conf_file).to.equal(path.join(dir, 'other'));
  });

  it('treats an empty main file as no options', async () => {
    const raw = await loadMasterConfig(configDir({ master: '# nothing here\n' }));
    expect(raw).to.deep.equal({ conf_file: raw.conf_file, sock_dir: '/var/run/salt/master' });
  });

  it('merges master.d/*.conf in name order, deep, concatenating lists without duplicates', async () => {
    const dir = configDir({
      master: 'timeout: 9\nexternal_auth: {pam: {fred: [".*"]}}\n',
      'master.d/20-b.conf': 'netapi_enable_clients: [local, wheel]\nexternal_auth: {auto: {alice: ["test.*"]}}\n',
      'master.d/10-a.conf': 'netapi_enable_clients: [runner, local]\nexternal_auth: {auto: {bob: ["@wheel"]}}\ntimeout: 7\n',
      'master.d/.hidden.conf': 'timeout: 99\n',
      'master.d/notes.txt': 'timeout: 98\n',
    });
    const raw = await loadMasterConfig(dir);
    expect(raw.netapi_enable_clients).to.deep.equal(['runner', 'local', 'wheel']);
    // Included files replace the main file's top-level keys wholesale (Salt's overrides.update()).
    expect(raw.external_auth).to.deep.equal({ auto: { bob: ['@wheel'], alice: ['test.*'] } });
    expect(raw.timeout).to.equal(7);
  });

  it('applies `include` (string or list, globs, relative or absolute) after default_include', async () => {
    const elsewhere = configDir({ 'abs.conf': 'gather_job_timeout: 3\n' });
    const dir = configDir({
      master: `include:\n  - extra/*.conf\n  - ${path.join(elsewhere, 'abs.conf')}\n  - missing/*.conf\n  - nothing.conf\n`,
      'master.d/a.conf': 'ret_port: 1111\ntimeout: 2\n',
      'extra/b.conf': 'ret_port: 2222\n',
    });
    const raw = await loadMasterConfig(dir);
    expect(raw).to.include({ ret_port: 2222, timeout: 2, gather_job_timeout: 3 });
    const single = await loadMasterConfig(configDir({ master: 'include: one.conf\n', 'one.conf': 'rest_timeout: 12\n' }));
    expect(single.rest_timeout).to.equal(12);
  });

  it('follows an included file’s own include, relative to that file', async () => {
    const dir = configDir({
      master: 'include: sub/first.conf\n',
      'sub/first.conf': 'include: second.conf\ntimeout: 1\ntoken_expire: 60\n',
      'sub/second.conf': 'timeout: 2\n',
    });
    expect(await loadMasterConfig(dir)).to.include({ timeout: 2, token_expire: 60 });
  });

  it('honours default_include from the main file, and null turns it off', async () => {
    const custom = configDir({ master: 'default_include: conf.d/*.yml\n', 'conf.d/x.yml': 'timeout: 4\n', 'master.d/y.conf': 'timeout: 5\n' });
    expect((await loadMasterConfig(custom)).timeout).to.equal(4);
    const off = configDir({ master: 'default_include: null\ntimeout: 1\n', 'master.d/y.conf': 'timeout: 5\n' });
    expect((await loadMasterConfig(off)).timeout).to.equal(1);
  });

  it('reads YAML the way Salt does', async () => {
    const raw = await loadMasterConfig(
      configDir({
        master: 'a: yes\nb: off\nc: y\nd: n\ne: 0750\nf: 2024-01-02\ng: 0x1F\nh: 1e3\nbase: &b {x: 1}\nmerged:\n  <<: *b\n  z: 2\n',
      }),
    );
    expect(raw).to.deep.include({ a: true, b: false, c: 'y', d: 'n', e: 750, f: '2024-01-02', g: 31, h: '1e3' });
    expect(raw.merged).to.deep.equal({ x: 1, z: 2 });
  });

  it('refuses a missing or unreadable main file', async () => {
    const missing = path.join(root, 'does-not-exist');
    expect(await configError(loadMasterConfig(missing))).to.equal(`cannot read ${missing} (ENOENT)`);
    const noMaster = configDir({ minion: 'x: 1\n' });
    expect(await configError(loadMasterConfig(noMaster))).to.equal(`cannot read ${path.join(noMaster, 'master')} (ENOENT)`);
    const dirAsFile = configDir({ 'master/inner': 'x: 1\n' });
    expect(await configError(loadMasterConfig(dirAsFile))).to.equal(`cannot read ${path.join(dirAsFile, 'master')} (EISDIR)`);
  });

  it('refuses broken YAML, in the main file or an include, naming file and position', async () => {
    const dir = configDir({ master: 'a: 1\n', 'master.d/bad.conf': 'a: 1\n  b: 2\n' });
    expect(await configError(loadMasterConfig(dir))).to.match(
      new RegExp(`^${path.join(dir, 'master.d/bad.conf')}: invalid YAML: .+ \\(line 2, column \\d+\\)$`),
    );
    const dup = configDir({ master: 'a: 1\na: 2\n' });
    expect(await configError(loadMasterConfig(dup))).to.match(/master: invalid YAML: duplicated mapping key/);
    const twoDocs = configDir({ master: 'a: 1\n---\nb: 2\n' });
    expect(await configError(loadMasterConfig(twoDocs))).to.include('invalid YAML');
  });

  it('refuses a document that is not a mapping, and a malformed include', async () => {
    const list = configDir({ master: '- a\n- b\n' });
    expect(await configError(loadMasterConfig(list))).to.equal(`${path.join(list, 'master')}: expected a mapping of options, got a list`);
    const badInclude = configDir({ master: 'include: {a: 1}\n' });
    expect(await configError(loadMasterConfig(badInclude))).to.equal(
      `include (in ${path.join(badInclude, 'master')}): expected a path/glob or a list of them, got a mapping`,
    );
  });

  it('refuses include loops, on which Salt would recurse forever', async () => {
    const dir = configDir({ master: 'include: a.conf\n', 'a.conf': 'include: b.conf\n', 'b.conf': 'include: a.conf\n' });
    expect(await configError(loadMasterConfig(dir))).to.equal(`include (in ${path.join(dir, 'b.conf')}): include loop back to ${path.join(dir, 'a.conf')}`);
  });

  it('applies root_dir to sock_dir and moves an over-long sock_dir under cachedir, like apply_master_config', async () => {
    const sockDir = async (master: string) => (await loadMasterConfig(configDir({ master }))).sock_dir;
    expect(await sockDir('root_dir: /srv/salt\n')).to.equal('/srv/salt/var/run/salt/master');
    expect(await sockDir('root_dir: /srv/salt\nsock_dir: /srv/salt/run\n')).to.equal('/srv/salt/run');
    expect(await sockDir('root_dir: /srv/salt\nsock_dir: run/sock\n')).to.equal('/srv/salt/run/sock');
    expect(await sockDir('sock_dir: /tmp/sockets\n')).to.equal('/tmp/sockets');
    expect(await sockDir('sock_dir: /home/someone/projects/salt/sockets\n')).to.equal('/var/cache/salt/master/.salt-unix');
    expect(await sockDir('sock_dir: /tmp/sockets\ninclude: more.conf\n')).to.equal('/tmp/sockets');
  });
});

describe('settingsFromMaster', () => {
  it('fills every default', () => {
    const settings = plain();
    expect(settings.source).to.equal('test');
    expect(settings.master).to.deep.equal({
      interface: '127.0.0.1',
      ret_port: 4506,
      sock_dir: '/var/run/salt/master',
      ipc_mode: 'ipc',
      tcp_master_pub_port: 4512,
      tcp_master_pull_port: 4513,
      external_auth: {},
      netapi_enable_clients: [],
      netapi_allow_raw_shell: false,
      token_expire: 43200,
      timeout: 5,
      gather_job_timeout: 10,
      rest_timeout: 300,
      salt_ssh_path: 'salt-ssh',
      salt_ssh_config_dir: '/etc/salt',
      rosters: [],
    });
    expect(settings.api).to.deep.equal({
      port: 8000,
      host: '0.0.0.0',
      debug: false,
      ssl_crt: undefined,
      ssl_key: undefined,
      ssl_chain: undefined,
      disable_ssl: true,
      webhook_disable_auth: false,
      webhook_url: '/hook',
      thread_pool: 100,
      socket_queue_size: 511,
      expire_responses: true,
      max_request_body_size: 1048576,
      collect_stats: false,
      stats_disable_auth: false,
      metrics_disable_auth: false,
      enable_metrics: true,
      static: undefined,
      static_path: '/static',
      app: undefined,
      app_path: '/app',
      root_prefix: '/',
      enable_sessions: true,
      log_access_file: '',
      log_error_file: '',
      api_acl: undefined,
      authorized_ips: undefined,
      favicon: undefined,
      cors_origin: undefined,
      trusted_proxies: [],
      workers: 1,
      events_heartbeat: 15,
      events_ring_size: 1000,
      events_ring_bytes: 8388608,
      master_timeout: 5,
      master_pool_size: 32,
      token_cache_ttl: 5,
      max_body_depth: 100,
      max_header_size: 16384,
      max_url_length: 8192,
      headers_timeout: 20,
      request_timeout: 60,
      keepalive_timeout: 5,
      shutdown_grace: 10,
      event_pull_framing: 'auto',
      ssh_max_concurrent: 8,
      log_health_checks: false,
      audit_log_file: '',
      audit_log_args: false,
      auth_throttle: { enabled: true, max_failures_per_ip: 50, max_failures_per_user_ip: 10, max_failures_per_user: 100, window: 600, block: 900 },
    });
  });

  it('reads auth_throttle as a boolean or as limits over the defaults', () => {
    const read = (value: unknown) => plain({ auth_throttle: value }).api.auth_throttle;
    expect(read(false)).to.deep.include({ enabled: false, max_failures_per_ip: 50 });
    expect(read(true)).to.deep.include({ enabled: true, window: 600 });
    expect(read({ max_failures_per_user_ip: 3, max_failures_per_user: 0, block: 0 })).to.deep.equal({
      enabled: true,
      max_failures_per_ip: 50,
      max_failures_per_user_ip: 3,
      max_failures_per_user: 0,
      window: 600,
      block: 0,
    });
  });

  it('takes the connection limits and lets request_timeout 0 mean no limit', () => {
    const limits = { max_header_size: 8192, max_url_length: 2048, headers_timeout: 5, request_timeout: 0, keepalive_timeout: 0.5, shutdown_grace: 0 };
    expect(plain(limits).api).to.deep.include(limits);
  });

  it('rewrites wildcard interfaces to loopback for connecting', () => {
    expect(plain({}, { interface: '0.0.0.0' }).master.interface).to.equal('127.0.0.1');
    expect(plain({}, { interface: '::' }).master.interface).to.equal('::1');
    expect(plain({}, { interface: '10.1.2.3' }).master.interface).to.equal('10.1.2.3');
  });

  it('points salt-ssh at the directory of the master config the API read, unless told otherwise', () => {
    expect(plain({}, { conf_file: '/srv/salt/conf/master' }).master.salt_ssh_config_dir).to.equal('/srv/salt/conf');
    expect(plain({}, { conf_file: '/srv/salt/conf/master', salt_ssh_config_dir: '/etc/salt-ssh' }).master.salt_ssh_config_dir).to.equal('/etc/salt-ssh');
    const master = plain({}, { salt_ssh_path: '/opt/salt/bin/salt-ssh', rosters: ['/etc/salt/rosters'] }).master;
    expect(master).to.deep.include({ salt_ssh_path: '/opt/salt/bin/salt-ssh', rosters: ['/etc/salt/rosters'] });
  });

  it('reads rest_koa, falling back to rest_cherrypy only when rest_koa is absent', () => {
    const both = { rest_koa: { port: 1, disable_ssl: true }, rest_cherrypy: { port: 2, disable_ssl: true } };
    expect(settingsFromMaster(both, 't').api.port).to.equal(1);
    expect(settingsFromMaster({ rest_cherrypy: both.rest_cherrypy }, 't').api.port).to.equal(2);
    expect(settingsFromMaster({ rest_koa: null, rest_cherrypy: both.rest_cherrypy }, 't').api.port).to.equal(2);
    expect(apiSectionName({})).to.equal('rest_koa');
    expect(settingsError({ rest_cherrypy: { port: 'x' } })).to.match(/^rest_cherrypy\./);
  });

  it('takes values of every kind and normalises mount points', () => {
    const { api, master } = plain(
      {
        port: ' 8_080 ',
        host: '127.0.0.1',
        debug: true,
        webhook_url: 'hooks/',
        static: '/srv/www',
        static_path: 'assets/v1/',
        app: '/srv/www/index.html',
        app_path: '/ui',
        root_prefix: '/api/',
        thread_pool: 4,
        queue_size: 64,
        socket_queue_size: 5,
        max_request_body_size: 0,
        authorized_ips: ['10.0.0.1'],
        api_acl: { users: { fred: ['10.0.0.1', '*'] } },
        cors_origin: ['https://a.example', 'https://b.example'],
        trusted_proxies: ['10.0.0.0/8', '::1', '192.168.1.1'],
        master_timeout: 0.5,
        token_cache_ttl: 0,
      },
      {
        ret_port: '4606',
        ipc_mode: 'tcp',
        netapi_enable_clients: ['local', 'runner_async'],
        netapi_allow_raw_shell: true,
        external_auth: { auto: { saltdev: ['.*', '@wheel', { 'minion-*': ['test.*'] }] } },
        timeout: 2.5,
      },
    );
    expect(api).to.deep.include({
      port: 8080,
      host: '127.0.0.1',
      debug: true,
      webhook_url: '/hooks',
      static_path: '/assets/v1',
      app_path: '/ui',
      root_prefix: '/api',
      socket_queue_size: 64,
      max_request_body_size: 0,
      master_timeout: 0.5,
      token_cache_ttl: 0,
    });
    expect(api.authorized_ips).to.deep.equal(['10.0.0.1']);
    expect(api.api_acl).to.deep.equal({ users: { fred: ['10.0.0.1', '*'] } });
    expect(api.cors_origin).to.deep.equal(['https://a.example', 'https://b.example']);
    expect(api.trusted_proxies).to.deep.equal(['10.0.0.0/8', '::1', '192.168.1.1']);
    expect(master).to.deep.include({ ret_port: 4606, ipc_mode: 'tcp', netapi_allow_raw_shell: true, timeout: 2.5 });
    expect(master.netapi_enable_clients).to.deep.equal(['local', 'runner_async']);
    expect(master.external_auth.auto?.saltdev).to.have.length(3);
  });

  it('reads socket_queue_size when queue_size is absent, and treats null as "use the default"', () => {
    expect(plain({ socket_queue_size: 12 }).api.socket_queue_size).to.equal(12);
    const nulls = plain({ port: null, webhook_url: null, enable_sessions: null }, { netapi_enable_clients: null, external_auth: null });
    expect(nulls.api).to.include({ port: 8000, webhook_url: '/hook', enable_sessions: true });
    expect(nulls.master.netapi_enable_clients).to.deep.equal([]);
  });

  it('keeps api_acl semantics: empty means unchecked, present without users means denied', () => {
    expect(plain({ api_acl: {} }).api.api_acl).to.equal(undefined);
    expect(plain({ api_acl: { users: null } }).api.api_acl).to.deep.equal({});
    expect(plain({ authorized_ips: [] }).api.authorized_ips).to.equal(undefined);
    expect(plain({ cors_origin: '*' }).api.cors_origin).to.equal('*');
  });

  it('keeps a user or backend named __proto__ in external_auth and api_acl as an entry, not a prototype', () => {
    const own = (map: object, key: string): unknown => Object.getOwnPropertyDescriptor(map, key)?.value;
    const settings = plain(JSON.parse('{"api_acl": {"users": {"__proto__": ["10.0.0.1"]}}}'), JSON.parse('{"external_auth": {"__proto__": {"__proto__": ["test.*"]}}}'));
    expect(Object.keys(settings.master.external_auth)).to.deep.equal(['__proto__']);
    expect(own(own(settings.master.external_auth, '__proto__') as object, '__proto__')).to.deep.equal(['test.*']);
    expect(own(settings.api.api_acl!.users!, '__proto__')).to.deep.equal(['10.0.0.1']);
  });

  it('reports unknown options of the section without failing', () => {
    const warnings: string[] = [];
    settingsFromMaster({ rest_cherrypy: { disable_ssl: true, prot: 80 }, some_master_option: 1 }, 't', (w) => warnings.push(w));
    expect(warnings).to.deep.equal(['rest_cherrypy.prot: unknown option, ignored']);
  });

  const bad: Array<[string, Record<string, unknown>, Record<string, unknown>, string]> = [
    ['a non-numeric port', { port: 'abc' }, {}, 'rest_koa.port: expected an integer 0-65535, got "abc"'],
    ['a port out of range', { port: 70000 }, {}, 'rest_koa.port: expected an integer 0-65535, got 70000'],
    ['a fractional port', { port: 80.5 }, {}, 'rest_koa.port: expected an integer 0-65535, got 80.5'],
    ['an empty host', { host: '' }, {}, 'rest_koa.host: expected a non-empty string, got ""'],
    ['a string boolean', { debug: 'false' }, {}, 'rest_koa.debug: expected true or false, got "false"'],
    ['a string log_health_checks', { log_health_checks: 'yes' }, {}, 'rest_koa.log_health_checks: expected true or false, got "yes"'],
    ['a numeric boolean', { enable_sessions: 0 }, {}, 'rest_koa.enable_sessions: expected true or false, got 0'],
    ['a negative count', { thread_pool: -1 }, {}, 'rest_koa.thread_pool: expected an integer >= 1, got -1'],
    ['zero workers', { workers: 0 }, {}, 'rest_koa.workers: expected an integer >= 1, got 0'],
    ['a bad queue_size', { queue_size: 'big' }, {}, 'rest_koa.queue_size: expected an integer >= 0, got "big"'],
    ['a bad body size', { max_request_body_size: 1.5 }, {}, 'rest_koa.max_request_body_size: expected an integer >= 0, got 1.5'],
    ['NaN seconds', { events_heartbeat: Number.NaN }, {}, 'rest_koa.events_heartbeat: expected a number of seconds >= 0, got NaN'],
    ['zero master_timeout', { master_timeout: 0 }, {}, 'rest_koa.master_timeout: expected a number of seconds > 0, got 0'],
    ['a tiny max_header_size', { max_header_size: 100 }, {}, 'rest_koa.max_header_size: expected an integer >= 1024, got 100'],
    ['a zero max_url_length', { max_url_length: 0 }, {}, 'rest_koa.max_url_length: expected an integer >= 1, got 0'],
    ['zero headers_timeout', { headers_timeout: 0 }, {}, 'rest_koa.headers_timeout: expected a number of seconds > 0, got 0'],
    ['headers_timeout over request_timeout', { headers_timeout: 30, request_timeout: 10 }, {}, 'rest_koa.headers_timeout: expected at most request_timeout (10), got 30'],
    ['an unknown event_pull_framing', { event_pull_framing: 'length' }, {}, 'rest_koa.event_pull_framing: expected "auto", "plain" or "prefixed", got "length"'],
    ['a negative shutdown_grace', { shutdown_grace: -1 }, {}, 'rest_koa.shutdown_grace: expected a number of seconds >= 0, got -1'],
    ['zero ssh_max_concurrent', { ssh_max_concurrent: 0 }, {}, 'rest_koa.ssh_max_concurrent: expected an integer >= 1, got 0'],
    ['a fractional ssh_max_concurrent', { ssh_max_concurrent: 2.5 }, {}, 'rest_koa.ssh_max_concurrent: expected an integer >= 1, got 2.5'],
    ['a string auth_throttle', { auth_throttle: 'on' }, {}, 'rest_koa.auth_throttle: expected true, false or a mapping of limits, got "on"'],
    [
      'an unknown auth_throttle limit',
      { auth_throttle: { max_failures: 3 } },
      {},
      'rest_koa.auth_throttle.max_failures: unknown option (known: enabled, max_failures_per_ip, max_failures_per_user_ip, max_failures_per_user, window, block)',
    ],
    ['zero max_failures_per_ip', { auth_throttle: { max_failures_per_ip: 0 } }, {}, 'rest_koa.auth_throttle.max_failures_per_ip: expected an integer >= 1, got 0'],
    ['a fractional throttle window', { auth_throttle: { window: 1.5 } }, {}, 'rest_koa.auth_throttle.window: expected an integer >= 1, got 1.5'],
    ['a string auth_throttle.enabled', { auth_throttle: { enabled: 'no' } }, {}, 'rest_koa.auth_throttle.enabled: expected true or false, got "no"'],
    ['a string audit_log_args', { audit_log_args: 'yes' }, {}, 'rest_koa.audit_log_args: expected true or false, got "yes"'],
    ['a string ring size', { events_ring_size: '10' }, {}, 'rest_koa.events_ring_size: expected an integer >= 0, got "10"'],
    ['a negative ring byte budget', { events_ring_bytes: -1 }, {}, 'rest_koa.events_ring_bytes: expected an integer >= 0, got -1'],
    ['a nested webhook_url', { webhook_url: '/a/b' }, {}, 'rest_koa.webhook_url: expected a single path segment such as "/hook", got "/a/b"'],
    ['an empty app_path', { app_path: '/' }, {}, 'rest_koa.app_path: expected a single path segment such as "/app", got "/"'],
    ['an empty static_path', { static_path: '/' }, {}, 'rest_koa.static_path: expected a URL path such as "/static", got "/"'],
    ['a relative static dir', { static: 'www' }, {}, 'rest_koa.static: expected an absolute path, got "www"'],
    ['a relative app file', { app: 'index.html' }, {}, 'rest_koa.app: expected an absolute path, got "index.html"'],
    ['a non-list authorized_ips', { authorized_ips: '10.0.0.1' }, {}, 'rest_koa.authorized_ips: expected a list of strings, got "10.0.0.1"'],
    ['a bad trusted proxy', { trusted_proxies: ['10.0.0.0/33'] }, {}, 'rest_koa.trusted_proxies[0]: expected an IP address or CIDR range, got "10.0.0.0/33"'],
    ['a hostname as proxy', { trusted_proxies: ['::1', 'proxy.local'] }, {}, 'rest_koa.trusted_proxies[1]: expected an IP address or CIDR range, got "proxy.local"'],
    ['a bad cors origin', { cors_origin: ['ok', 3] }, {}, 'rest_koa.cors_origin[1]: expected a non-empty string, got 3'],
    ['a non-mapping api_acl', { api_acl: ['x'] }, {}, 'rest_koa.api_acl: expected a mapping with a "users" key, got a list'],
    ['a bad api_acl entry', { api_acl: { users: { fred: '*' } } }, {}, 'rest_koa.api_acl.users.fred: expected a list of strings, got "*"'],
    ['an unknown client', {}, { netapi_enable_clients: ['local', 'locl'] }, 'netapi_enable_clients[1]: expected one of local, local_async, local_batch, local_subset, runner, runner_async, ssh, wheel, wheel_async, got "locl"'],
    ['a string client list', {}, { netapi_enable_clients: 'local' }, 'netapi_enable_clients: expected a list, got "local"'],
    ['a bad ret_port', {}, { ret_port: 0 }, 'ret_port: expected an integer 1-65535, got 0'],
    ['a bad tcp port', {}, { tcp_master_pub_port: 'x' }, 'tcp_master_pub_port: expected an integer 1-65535, got "x"'],
    ['a bad ipc_mode', {}, { ipc_mode: 'udp' }, 'ipc_mode: expected "ipc" or "tcp", got "udp"'],
    ['another transport', {}, { transport: 'tcp' }, 'transport: expected "zeromq" (the only master transport salt-api-koa speaks), got "tcp"'],
    ['a bad interface', {}, { interface: 5 }, 'interface: expected a string, got 5'],
    ['a negative token_expire', {}, { token_expire: -1 }, 'token_expire: expected a number of seconds >= 0, got -1'],
    ['a string timeout', {}, { timeout: '5' }, 'timeout: expected a number of seconds >= 0, got "5"'],
    ['a bad raw shell flag', {}, { netapi_allow_raw_shell: 'yes' }, 'netapi_allow_raw_shell: expected true or false, got "yes"'],
    ['a non-mapping external_auth', {}, { external_auth: ['pam'] }, 'external_auth: expected a mapping of eauth backends, got a list'],
    ['a bad eauth backend', {}, { external_auth: { pam: ['fred'] } }, 'external_auth.pam: expected a mapping of users/groups to permission lists, got a list'],
    ['a bad eauth user', {}, { external_auth: { pam: { fred: null } } }, 'external_auth.pam.fred: expected a list of permissions, got null'],
    ['a relative salt_ssh_path', {}, { salt_ssh_path: 'bin/salt-ssh' }, 'salt_ssh_path: expected a command name found on PATH or an absolute path, got "bin/salt-ssh"'],
    ['an empty salt_ssh_path', {}, { salt_ssh_path: ' ' }, 'salt_ssh_path: expected a non-empty string, got " "'],
    ['a relative salt_ssh_config_dir', {}, { salt_ssh_config_dir: 'etc' }, 'salt_ssh_config_dir: expected an absolute directory path, got "etc"'],
    ['a relative roster dir', {}, { rosters: ['/etc/salt/rosters', 'rosters'] }, 'rosters[1]: expected an absolute directory path, got "rosters"'],
    ['a string rosters', {}, { rosters: '/etc/salt/rosters' }, 'rosters: expected a list, got "/etc/salt/rosters"'],
  ];
  for (const [what, api, master, message] of bad) {
    it(`refuses ${what}: ${message}`, () => {
      expect(settingsError({ ...master, rest_koa: { disable_ssl: true, ...api } })).to.equal(message);
    });
  }

  it('refuses a section that is not a mapping', () => {
    expect(settingsError({ rest_koa: 'on' })).to.equal('rest_koa: expected a mapping of options, got "on"');
  });

  describe('SSL', () => {
    let crt: string;
    let key: string;
    before(() => {
      const dir = configDir({ 'api.crt': 'CERT', 'api.key': 'KEY', 'chain.pem': 'CHAIN' });
      crt = path.join(dir, 'api.crt');
      key = path.join(dir, 'api.key');
    });

    it('requires ssl_crt and ssl_key unless disable_ssl is true', () => {
      expect(settingsError({ rest_koa: {} })).to.equal('rest_koa.ssl_crt: required unless disable_ssl is true');
      expect(settingsError({ rest_cherrypy: { ssl_crt: crt } })).to.equal('rest_cherrypy.ssl_key: required unless disable_ssl is true');
      expect(settingsError({ rest_koa: { ssl_key: key, disable_ssl: null } })).to.equal('rest_koa.ssl_crt: required unless disable_ssl is true');
    });

    it('accepts readable files and refuses missing ones or directories', () => {
      const chain = path.join(path.dirname(crt), 'chain.pem');
      expect(settingsFromMaster({ rest_koa: { ssl_crt: crt, ssl_key: key, ssl_chain: chain } }, 't').api).to.include({
        ssl_crt: crt,
        ssl_key: key,
        ssl_chain: chain,
        disable_ssl: false,
      });
      const missing = path.join(root, 'nope.key');
      expect(settingsError({ rest_koa: { ssl_crt: crt, ssl_key: missing } })).to.equal(`rest_koa.ssl_key: cannot read "${missing}" (ENOENT)`);
      expect(settingsError({ rest_koa: { ssl_crt: crt, ssl_key: key, ssl_chain: root } })).to.equal(
        `rest_koa.ssl_chain: cannot read "${root}" (not a regular file)`,
      );
    });

    it('leaves the files alone when SSL is disabled, as salt-api does', () => {
      const missing = path.join(root, 'nope.crt');
      expect(plain({ ssl_crt: missing }).api.ssl_crt).to.equal(missing);
    });
  });
});
