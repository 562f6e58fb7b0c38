/**
 * Debian's nginx in front of test APIs, run from the shipped examples/nginx/salt-api.conf: the
 * example's server blocks are kept as written and only what names this machine is replaced (the
 * upstream ports, the listen addresses, the certificate), each replacement checked to have hit,
 * so a change to the example is what the test runs. nginx runs in the foreground as a child of
 * the test, with everything it writes (pid, logs, temp files) inside a temporary prefix.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from './paths.js';
import { rawRequest, type RawOptions, type RawResponse } from './raw.js';
import { portAccepts } from './sockets.js';
import { waitUntil } from './wait.js';

export const NGINX = '/usr/sbin/nginx';
export const EXAMPLE_CONF = path.join(projectRoot, 'examples', 'nginx', 'salt-api.conf');

export function haveNginx(): boolean {
  try {
    accessSync(NGINX, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A top-level `server { … }` block of the example, by the first name in its server_name. */
interface ServerBlock {
  name: string;
  start: number;
  end: number;
}

/** Top-level server blocks; braces inside quotes (a `return` body) and comments do not count. */
function serverBlocks(conf: string): ServerBlock[] {
  const blocks: ServerBlock[] = [];
  let depth = 0;
  let start = -1;
  for (let index = 0; index < conf.length; index++) {
    const char = conf[index];
    if (char === '#') index = conf.indexOf('\n', index);
    else if (char === "'" || char === '"') index = conf.indexOf(char, index + 1);
    else if (char === '{') {
      const before = Math.max(0, index - 16);
      const keyword = /(?:^|\s)server\s*$/.exec(conf.slice(before, index));
      if (depth === 0 && keyword) start = before + keyword.index + keyword[0].indexOf('server');
      depth++;
    } else if (char === '}') {
      depth--;
      if (depth === 0 && start >= 0) {
        const text = conf.slice(start, index + 1);
        const name = /server_name\s+([^\s;]+)/.exec(text)?.[1];
        if (name === undefined) throw new Error(`a server block without server_name in ${EXAMPLE_CONF}`);
        blocks.push({ name, start, end: index + 1 });
        start = -1;
      }
    }
    if (index < 0) break;
  }
  return blocks;
}

/** `text` with `pattern` replaced, which must match exactly `times` times. */
function replaceChecked(text: string, pattern: RegExp, replacement: string, times: number, what: string): string {
  const found = text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
  if (found !== times) throw new Error(`${EXAMPLE_CONF}: expected ${times} × ${what} (${pattern.source}), found ${found}`);
  return text.replace(new RegExp(pattern.source, 'g'), replacement);
}

export interface UntrustedCopy {
  /** The example's server block to copy (its server_name). */
  server: string;
  port: number;
  /** The address nginx connects to the API from (`proxy_bind`): one the API does not trust. */
  bind: string;
}

export interface SiteOptions {
  /** API port for each upstream of the example, by upstream name. */
  upstreams: Record<string, number>;
  /** The loopback port of each TLS server block, by server_name. */
  tls: Record<string, number>;
  /** The port of the http → https redirect. */
  redirect: number;
  /** Copies of server blocks that reach the API from another address, with their own upstream. */
  untrusted: UntrustedCopy[];
  certificate: string;
  key: string;
}

/** The example configuration with this machine's ports, addresses and certificate. */
export async function siteFromExample(options: SiteOptions): Promise<string> {
  let conf = await readFile(EXAMPLE_CONF, 'utf8');
  for (const [name, port] of Object.entries(options.upstreams)) {
    conf = replaceChecked(conf, new RegExp(`(upstream ${name} \\{[^}]*?server )127\\.0\\.0\\.1:\\d+;`), `$1127.0.0.1:${port};`, 1, `upstream ${name}`);
  }
  const tlsServers = Object.keys(options.tls).length;
  conf = replaceChecked(conf, /ssl_certificate\s+\S+;/, `ssl_certificate ${options.certificate};`, tlsServers, 'ssl_certificate');
  conf = replaceChecked(conf, /ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${options.key};`, tlsServers, 'ssl_certificate_key');

  const blocks = serverBlocks(conf);
  /** The TLS server blocks as adapted, by name. */
  const served = new Map<string, string>();
  let redirects = 0;
  let site = '';
  let from = 0;
  for (const block of blocks) {
    let text = conf.slice(block.start, block.end);
    if (/listen 80;/.test(text)) {
      text = replaceChecked(text, /listen 80;/, `listen 127.0.0.1:${options.redirect};`, 1, 'listen 80');
      redirects++;
    } else {
      const port = options.tls[block.name];
      if (port === undefined) throw new Error(`no test port for the example's server ${block.name}`);
      text = replaceChecked(text, /listen 443 ssl;/, `listen 127.0.0.1:${port} ssl;`, 1, `listen 443 ssl in ${block.name}`);
      served.set(block.name, text);
    }
    site += conf.slice(from, block.start) + text;
    from = block.end;
  }
  site += conf.slice(from);
  if (served.size !== tlsServers || redirects !== 1) {
    throw new Error(`${EXAMPLE_CONF}: expected the TLS servers ${Object.keys(options.tls).join(', ')} and one redirect, found ${[...served.keys()].join(', ')} and ${redirects}`);
  }

  for (const copy of options.untrusted) {
    const original = served.get(copy.server);
    if (original === undefined) throw new Error(`no server ${copy.server} in ${EXAMPLE_CONF}`);
    // Its own upstream, without the shared keepalive pool: a pooled connection would keep the
    // address it was opened from, whichever server block asks for it.
    const upstream = /proxy_pass http:\/\/(\w+)/.exec(original)?.[1] ?? '';
    const port = options.upstreams[upstream];
    if (port === undefined) throw new Error(`server ${copy.server} passes to an unknown upstream ${upstream}`);
    let text = original.replace(new RegExp(`http://${upstream}\\b`, 'g'), `http://${upstream}_untrusted`);
    text = replaceChecked(text, /listen 127\.0\.0\.1:\d+ ssl;/, `listen 127.0.0.1:${copy.port} ssl;\n    proxy_bind ${copy.bind};`, 1, `listen in ${copy.server}`);
    site += `\nupstream ${upstream}_untrusted {\n    server 127.0.0.1:${port};\n}\n\n${text}\n`;
  }
  return site;
}

export interface Nginx {
  prefix: string;
  /** What nginx wrote to its error log so far. */
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

/** The main configuration around the site: what nginx.conf holds on a real host. */
function mainConf(prefix: string): string {
  // Workers drop to `user` only when the master runs as root; the temp files are theirs.
  const user = process.getuid?.() === 0 ? `user ${os.userInfo().username};\n` : '';
  const temp = (name: string) => path.join(prefix, name);
  return `${user}worker_processes 1;
events {
    worker_connections 1024;
}
http {
    access_log ${temp('access.log')};
    client_body_temp_path ${temp('client_body')};
    proxy_temp_path ${temp('proxy')};
    fastcgi_temp_path ${temp('fastcgi')};
    uwsgi_temp_path ${temp('uwsgi')};
    scgi_temp_path ${temp('scgi')};
    include ${temp('salt-api.conf')};
}
`;
}

/** Start nginx with `site` as its only site; resolves once every port in `ports` accepts. */
export async function startNginx(site: string, ports: number[]): Promise<Nginx> {
  const prefix = await mkdtemp(path.join(os.tmpdir(), 'salt-api-koa-nginx-'));
  const conf = path.join(prefix, 'nginx.conf');
  await writeFile(path.join(prefix, 'salt-api.conf'), site);
  await writeFile(conf, mainConf(prefix));
  const errorLog = path.join(prefix, 'error.log');
  const child: ChildProcess = spawn(
    NGINX,
    ['-p', `${prefix}/`, '-c', conf, '-g', `daemon off; pid ${path.join(prefix, 'nginx.pid')}; error_log ${errorLog} info;`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = true;
  void exited.then(() => (running = false));
  const readLog = (): Promise<string> => readFile(errorLog, 'utf8').catch(() => '');
  const stop = async (): Promise<void> => {
    if (running) child.kill('SIGTERM');
    await exited;
    await rm(prefix, { recursive: true, force: true });
  };
  try {
    await waitUntil('nginx listens', async () => {
      if (!running) throw new Error(`nginx exited: ${stderr}${await readLog()}`);
      return (await Promise.all(ports.map(portAccepts))).every(Boolean);
    }, 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { prefix, errorLog: readLog, stop };
}

export type TlsAnswer = RawResponse;
export type TlsRequest = Omit<RawOptions, 'ca'> & { agent?: https.Agent };

/** One request to nginx over TLS on loopback `port`, checking its certificate against `ca`. */
export function tlsRequest(port: number, ca: Buffer, requestPath: string, options: TlsRequest = {}): Promise<TlsAnswer> {
  return rawRequest(`https://127.0.0.1:${port}`, requestPath, { ...options, ca });
}

/** TCP state ESTABLISHED in /proc/net/tcp. */
const ESTABLISHED = '01';

/**
 * How many established IPv4 connections on this machine go to local `port` (from the kernel's
 * table, so it counts what nginx holds open, not what it says it does).
 */
export async function connectionsTo(port: number): Promise<number> {
  const table = await readFile('/proc/net/tcp', 'utf8');
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[3] === ESTABLISHED && Number.parseInt(fields[2]?.split(':')[1] ?? '', 16) === port).length;
}
