/**
 * `salt-api-koa doctor` as an operator runs it: the real CLI as a child process, against sandbox
 * masters of each release generation and against broken set-ups, judged by its lines and its
 * exit status.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { dump } from 'js-yaml';
import { RELEASE_GENERATIONS, startSandbox, type Sandbox, type SandboxOptions } from '../src/sandbox/index.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  /** Run the child as this user (the test runs as root, which no permission stops). */
  user?: { uid: number; gid: number };
  /** Executables the child finds on PATH (a fake `salt-master`); nothing else is on it. */
  bin?: Record<string, string>;
}

const scratch: string[] = [];

/** A directory anyone may read: the child may run as another user. */
function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dir, 0o755);
  scratch.push(dir);
  return dir;
}

function doctor(configDir: string, options: RunOptions = {}): Promise<Run> {
  // Only our own executables on PATH: a Salt installed on the test host must not change the output.
  const bin = scratchDir('doctor-bin-');
  for (const [name, script] of Object.entries(options.bin ?? {})) writeFileSync(path.join(bin, name), script, { mode: 0o755 });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'doctor', '-c', configDir], {
      env: { PATH: bin },
      uid: options.user?.uid,
      gid: options.user?.gid,
      timeout: 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The sandbox's master config, with `master` options laid over it (and over its rest_koa section), as YAML in a fresh DIR/master. */
function writeConfig(sandbox: Sandbox, master: Record<string, unknown> = {}): string {
  const dir = scratchDir('doctor-conf-');
  const restKoa = { ...(sandbox.config.rest_koa as Record<string, unknown>), ...(master.rest_koa as Record<string, unknown> | undefined) };
  writeFileSync(path.join(dir, 'master'), dump({ ...sandbox.config, ...master, rest_koa: restKoa }), { mode: 0o644 });
  return dir;
}

async function withSandbox<T>(options: SandboxOptions, body: (sandbox: Sandbox) => Promise<T>): Promise<T> {
  const sandbox = await startSandbox({ record: false, ...options });
  try {
    return await body(sandbox);
  } finally {
    await sandbox.stop();
  }
}

/** The report's line of `check` with `status` (exactly one expected). */
function line(run: Run, status: string, check: string): string {
  const found = run.stdout.split('\n').filter((text) => new RegExp(`^${status}\\s+${check}\\s`).test(text));
  expect(found, `one "${status} ${check}" line in:\n${run.stdout}`).to.have.length.greaterThan(0);
  return found.join('\n');
}

/** Every line up to the summary starts with its verdict. */
function expectVerdictLines(run: Run): void {
  const report = run.stdout.split('\n\n')[0] ?? '';
  for (const text of report.split('\n')) expect(text).to.match(/^(ok|warn|FAIL|skip) {2}/);
}

interface Expected {
  publish: 'plain' | 'prefixed';
  pull: 'plain' | 'prefixed';
  version2: 'refused' | 'accepted';
  range: string;
}

/** salt-versions.md §1, §2, §7, §8, one release of each generation. */
const EXPECTED: Record<string, Expected> = {
  '3006.16': { publish: 'plain', pull: 'plain', version2: 'accepted', range: 'Salt 3007.4–3007.8 or 3006.12–3006.16' },
  '3006.27': { publish: 'prefixed', pull: 'prefixed', version2: 'refused', range: 'Salt 3006.26–3006.27' },
  '3007.14': { publish: 'plain', pull: 'plain', version2: 'refused', range: 'Salt 3007.9–3007.14 or 3006.17–3006.24' },
  '3008.1': { publish: 'plain', pull: 'plain', version2: 'refused', range: 'Salt 3008.0–3008.1' },
  '3008.2': { publish: 'plain', pull: 'prefixed', version2: 'refused', range: 'Salt 3008.2 or later' },
};

const FRAMES = { plain: 'plain frames, no length prefix', prefixed: 'length-prefixed frames' } as const;

/** The uid/gid of `nobody` from /etc/passwd, if there is one. */
function nobody(): { uid: number; gid: number } | undefined {
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((text) => text.startsWith('nobody:'));
  const [, , uid, gid] = entry?.split(':') ?? [];
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : undefined;
}

/** A TCP port on loopback that relays every connection to a unix socket (a master with `ipc_mode: tcp`). */
async function tcpRelay(socketPath: string): Promise<{ port: number; close(): Promise<void> }> {
  const connections = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ path: socketPath });
    for (const socket of [client, upstream]) {
      connections.add(socket);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on('close', () => connections.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const socket of connections) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('salt-api-koa doctor', () => {
  after(() => {
    for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  for (const release of RELEASE_GENERATIONS) {
    it(`tells Salt ${release}: framing, version 2, release range, exit 0`, async () => {
      const expected = EXPECTED[release];
      if (!expected) throw new Error(`no expectation for release ${release}: add it to EXPECTED`);
      await withSandbox({ release }, async (sandbox) => {
        const run = await doctor(writeConfig(sandbox));
        expect(run.code, run.stdout + run.stderr).to.equal(0);
        expect(run.stderr).to.equal('');
        expectVerdictLines(run);
        expect(line(run, 'ok', 'request')).to.include(`127.0.0.1:${String(sandbox.config.ret_port)} answers a clear ping`);
        const protocol = line(run, 'ok', 'protocol');
        expect(protocol).to.include('accepts version 3; ');
        expect(protocol).to.include(expected.version2 === 'refused' ? 'version 2 refused ("bad load")' : 'version 2 accepted too');
        const framing = line(run, 'ok', 'framing');
        expect(framing).to.include(`master_event_pub.ipc: ${FRAMES[expected.publish]}`);
        expect(framing).to.include(`master_event_pull.ipc: reads ${FRAMES[expected.pull]}`);
        expect(line(run, 'ok', 'bus')).to.match(/master_event_pub\.ipc: readable and writable by .*connected\nok {4}bus {8}master_event_pull\.ipc: readable and writable by .*connected/);
        expect(line(run, 'ok', 'eauth')).to.include('external_auth backends: auto, sharedsecret, pam');
        expect(line(run, 'ok', 'clients')).to.include('netapi_enable_clients: local, local_async');
        expect(line(run, 'ok', 'release')).to.include(`${expected.range} (`);
        expect(run.stdout).to.match(/\n\nNo problems found\.\n$/);
        // The sandbox's user and password; the doctor never logs in and never names users.
        expect(run.stdout).not.to.include('saltdev');
      });
    });
  }

  it('a master requiring a newer protocol (minimum_auth_version 4): exit 1 naming the option', async () => {
    await withSandbox({ minimumAuthVersion: 4 }, async (sandbox) => {
      const run = await doctor(writeConfig(sandbox));
      expect(run.code, run.stdout).to.equal(1);
      expect(line(run, 'FAIL', 'protocol')).to.match(/refuses version 3 \("bad load"\).*minimum_auth_version is above 3/);
      expect(run.stdout).to.match(/\n {2}FAIL minimum_auth_version: set minimum_auth_version to 3 .*or upgrade salt-api-koa/);
      // The bus still tells the release.
      expect(line(run, 'ok', 'release')).to.include('Salt 3008.2 or later');
    });
  });

  it('no master listening: exit 1 with an unreachable line', async () => {
    await withSandbox({}, async (sandbox) => {
      const dir = writeConfig(sandbox, { rest_koa: { master_timeout: 1 } });
      await sandbox.stopMaster();
      const run = await doctor(dir);
      expect(run.code, run.stdout).to.equal(1);
      expectVerdictLines(run);
      expect(line(run, 'FAIL', 'request')).to.equal(
        `FAIL  request    127.0.0.1:${String(sandbox.config.ret_port)} unreachable: no answer to a clear ping within 1 s`,
      );
      expect(line(run, 'FAIL', 'bus')).to.include('master_event_pub.ipc: missing from');
      expect(line(run, 'skip', 'release')).to.include('cannot tell');
      expect(run.stdout).to.match(/\n {2}FAIL request server \(interface, ret_port\): start salt-master/);
    });
  });

  it('empty netapi_enable_clients: exit 1 naming the option', async () => {
    await withSandbox({}, async (sandbox) => {
      const run = await doctor(writeConfig(sandbox, { netapi_enable_clients: [] }));
      expect(run.code, run.stdout).to.equal(1);
      expect(line(run, 'FAIL', 'clients')).to.include('netapi_enable_clients is empty');
      expect(run.stdout).to.match(/\n {2}FAIL netapi_enable_clients: list the clients the API may run/);
      expect(line(run, 'ok', 'release')).to.include('Salt 3008.2 or later');
    });
  });

  it('empty external_auth: exit 1, nobody can log in', async () => {
    await withSandbox({}, async (sandbox) => {
      const run = await doctor(writeConfig(sandbox, { external_auth: {} }));
      expect(run.code, run.stdout).to.equal(1);
      expect(line(run, 'FAIL', 'eauth')).to.include('external_auth is empty: nobody can log in');
    });
  });

  it('an unreadable master_event_pub.ipc: exit 1 naming the file, its owner and mode, the user and the fix', async function () {
    const root = process.getuid?.() === 0;
    const user = root ? nobody() : undefined;
    // Root passes every permission check, so the doctor has to run as somebody else.
    if (root && !user) this.skip();
    await withSandbox({ release: '3007.14' }, async (sandbox) => {
      const sockDir = String(sandbox.config.sock_dir);
      // Only the publish socket is out of reach: the directory and the pull socket are open to all.
      chmodSync(sockDir, 0o755);
      chmodSync(path.join(sockDir, 'master_event_pull.ipc'), 0o666);
      chmodSync(path.join(sockDir, 'master_event_pub.ipc'), 0o000);
      const run = await doctor(writeConfig(sandbox), { user });
      expect(run.code, run.stdout + run.stderr).to.equal(1);
      const owner = root ? 'root:root' : `${os.userInfo().username}:`;
      const self = root ? 'nobody' : os.userInfo().username;
      const bus = line(run, 'FAIL', 'bus');
      expect(bus).to.include(`master_event_pub.ipc: permission denied: ${path.join(sockDir, 'master_event_pub.ipc')} is ${owner}`);
      expect(bus).to.include('mode 0000 (s---------); this process runs as ' + self);
      expect(line(run, 'ok', 'bus')).to.include('master_event_pull.ipc: readable and writable by');
      expect(line(run, 'skip', 'framing')).to.include('master_event_pub.ipc cannot be read');
      expect(run.stdout).to.match(/\n {2}FAIL master_event_pub\.ipc permissions: run salt-api-koa as \S+ \(the master's user\) or as a member of group \S+; .*mode 0660.*3007\.2\+ and 3008.*3006 only when external_auth or publisher_acl is set/);
      // Without the bus the wire still tells something.
      expect(line(run, 'ok', 'release')).to.include('Salt 3007.9–3007.14 or 3006.17–3006.24');
    });
  });

  it('ipc_mode tcp: reports the TCP ports and their framing', async () => {
    await withSandbox({ release: '3006.27' }, async (sandbox) => {
      const sockDir = String(sandbox.config.sock_dir);
      const pub = await tcpRelay(path.join(sockDir, 'master_event_pub.ipc'));
      const pull = await tcpRelay(path.join(sockDir, 'master_event_pull.ipc'));
      try {
        const run = await doctor(writeConfig(sandbox, { ipc_mode: 'tcp', tcp_master_pub_port: pub.port, tcp_master_pull_port: pull.port }));
        expect(run.code, run.stdout).to.equal(0);
        expect(line(run, 'ok', 'bus')).to.equal(
          `ok    bus        127.0.0.1:${pub.port} (tcp_master_pub_port): connected\nok    bus        127.0.0.1:${pull.port} (tcp_master_pull_port): connected`,
        );
        const framing = line(run, 'ok', 'framing');
        expect(framing).to.include(`127.0.0.1:${pub.port} (tcp_master_pub_port): length-prefixed frames`);
        expect(framing).to.include(`127.0.0.1:${pull.port} (tcp_master_pull_port): reads length-prefixed frames`);
        expect(line(run, 'ok', 'release')).to.include('Salt 3006.26–3006.27');
      } finally {
        await Promise.all([pub.close(), pull.close()]);
      }
    });
  });

  it('a configured event_pull_framing the master does not read: exit 1 naming the option', async () => {
    await withSandbox({ release: '3006.27' }, async (sandbox) => {
      const run = await doctor(writeConfig(sandbox, { rest_koa: { event_pull_framing: 'plain' } }));
      expect(run.code, run.stdout).to.equal(1);
      expect(line(run, 'FAIL', 'framing')).to.include('reads length-prefixed frames');
      expect(run.stdout).to.match(/\n {2}FAIL rest_koa\.event_pull_framing: set rest_koa\.event_pull_framing to auto \(or prefixed\)/);
    });
  });

  it('compares `salt-master --version` on PATH with what the wire shows', async () => {
    const version = (text: string) => ({ 'salt-master': `#!/bin/sh\necho "salt-master ${text}"\n` });
    await withSandbox({ release: '3008.2' }, async (sandbox) => {
      const run = await doctor(writeConfig(sandbox), { bin: version('3008.4 (Potassium)') });
      expect(run.code, run.stdout).to.equal(0);
      expect(line(run, 'ok', 'release')).to.include('Salt 3008.2 or later (').and.to.include('`salt-master --version` here: 3008.4');
    });
    await withSandbox({ release: '3007.14' }, async (sandbox) => {
      const run = await doctor(writeConfig(sandbox), { bin: version('3008.2 (Potassium)') });
      expect(run.code, run.stdout).to.equal(0);
      expect(line(run, 'warn', 'release')).to.include('here says 3008.2, but the running master behaves like Salt 3007.9–3007.14 or 3006.17–3006.24');
      expect(run.stdout).to.match(/\n {2}warn salt-master release: restart salt-master/);
    });
  });

  it('an unusable config: exit 2 with the error and where to fix it', async () => {
    await withSandbox({}, async (sandbox) => {
      const run = await doctor(writeConfig(sandbox, { rest_koa: { thread_pool: 'many' } }));
      expect(run.code).to.equal(2);
      expect(line(run, 'FAIL', 'config')).to.include('rest_koa.thread_pool: expected an integer >= 1, got "many"');
      expect(run.stdout).to.match(/\n {2}FAIL rest_koa\.thread_pool: correct it in /);
    });
    const missing = path.join(scratchDir('doctor-none-'), 'nowhere');
    const run = await doctor(missing);
    expect(run.code).to.equal(2);
    expect(run.stdout).to.equal(
      `FAIL  config     cannot read ${missing} (ENOENT)\n\n1 problem (1 FAIL, 0 warn); to fix:\n  FAIL config: point -c at the directory holding the master config (or at the file itself), readable by this user\n`,
    );
  });
});
