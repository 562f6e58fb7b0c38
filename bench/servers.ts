/** Starting the processes of a run: the sandbox master, the API and the two baselines. */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Child, ProcessGroup } from './children.js';
import type { Reply } from './probe.js';

/** Generous: a cold start on a loaded two-core machine takes well under a second. */
const READY_TIMEOUT_MS = 15_000;
const FILE_POLL_MS = 20;
/** The API and the baselines all announce themselves with this line once they accept connections. */
const LISTENING = /listening on (http:\/\/\S+)/;
/** Headers Node's HTTP server writes on its own for every response. */
const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

export interface Server {
  child: Child;
  url: string;
}

/** Where V8 CPU profiles go, and the file name (without extension) of this process's profile. */
export interface Profiling {
  dir: string;
  name: string;
}

/** The compiled script at `relative` to this file (dist/bench/). */
export const script = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** The sandbox writes its master config atomically once it listens; its arrival is the signal. */
async function waitForFile(file: string, writer: Child): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await exists(file))) {
    if (!writer.running) throw new Error(`${writer.name} exited before writing ${file}:\n${writer.output()}`);
    if (Date.now() > deadline) throw new Error(`${writer.name} did not write ${file} within ${READY_TIMEOUT_MS} ms:\n${writer.output()}`);
    await sleep(FILE_POLL_MS);
  }
}

/** The sandbox master, its config written as `<configDir>/master` for the API's `-c`. */
export async function startSandbox(group: ProcessGroup, configDir: string, minions: number, returnWindow = 0): Promise<Child> {
  const file = join(configDir, 'master');
  const window = returnWindow > 0 ? ['--return-window', String(returnWindow)] : [];
  const child = group.spawnNode('sandbox master', [script('../src/sandbox/main.js'), '--minions', String(minions), ...window, '--config-out', file]);
  await waitForFile(file, child);
  return child;
}

/** A node process (`args`: its flags and script) that announces its URL the way the API does. */
export async function startServer(group: ProcessGroup, name: string, args: string[], profiling?: Profiling): Promise<Server> {
  const flags = profiling ? ['--cpu-prof', '--cpu-prof-dir', profiling.dir, '--cpu-prof-name', `${profiling.name}.cpuprofile`] : [];
  const child = group.spawnNode(name, [...flags, ...args]);
  const [, url] = await child.waitFor(LISTENING, READY_TIMEOUT_MS);
  if (url === undefined) throw new Error(`${name} announced no URL`);
  return { child, url };
}

export function startApi(group: ProcessGroup, configDir: string, profiling?: Profiling): Promise<Server> {
  // Whatever port the config names, the bench wants a free one on loopback.
  return startServer(group, 'API', [script('../src/cli.js'), '-c', configDir, '--port', '0', '--host', '127.0.0.1'], profiling);
}

/** The bare Koa app, answering what the API answered in `reply`. */
export function startKoaBaseline(group: ProcessGroup, reply: Reply, profiling?: Profiling): Promise<Server> {
  const headers = Object.fromEntries(Object.entries(reply.headers).filter(([name]) => !TRANSPORT_HEADERS.has(name)));
  const canned = JSON.stringify({ headers, body: reply.body.toString('base64') });
  return startServer(group, 'bare Koa baseline', [script('./baseline/koa.js'), canned], profiling);
}

/** The Koa floor of login (bench/baseline/koaLogin.ts), on the sandbox of `configDir`. */
export function startKoaFloor(group: ProcessGroup, configDir: string, profiling?: Profiling): Promise<Server> {
  return startServer(group, 'Koa floor of login', [script('./baseline/koaLogin.js'), configDir], profiling);
}

export function startMasterBaseline(group: ProcessGroup, configDir: string, profiling?: Profiling): Promise<Server> {
  return startServer(group, 'master-client baseline', [script('./baseline/master.js'), configDir], profiling);
}

/** Whether two replies carry the same status, body bytes and headers, Node's own headers aside. */
export function sameReply(a: Reply, b: Reply): boolean {
  const own = (reply: Reply) =>
    JSON.stringify(
      Object.entries(reply.headers)
        .filter(([name]) => !TRANSPORT_HEADERS.has(name))
        .sort(([x], [y]) => x.localeCompare(y)),
    );
  return a.status === b.status && a.body.equals(b.body) && own(a) === own(b);
}
