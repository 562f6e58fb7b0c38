/**
 * SIGHUP reloads the TLS certificate of the real command (`salt-api-koa -c DIR`): new connections
 * get the renewed certificate; files that do not make a usable pair are refused with one error
 * line and the server goes on with the certificate it has.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import request from 'supertest';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { makeCertificates, type CertFiles } from './support/certs.js';
import { RELEASE } from './support/release.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

/** The SHA-256 fingerprint of the certificate a new TLS connection to `url` is shown. */
function servedFingerprint(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fingerprint);
    });
    socket.once('error', reject);
  });
}

function fingerprintOf(file: string): string {
  return new X509Certificate(readFileSync(file)).fingerprint256;
}

interface Command {
  child: ChildProcess;
  /** Its stderr (the log) so far. */
  output(): string;
  /** Resolves with the log once `match` holds for it (checked as each piece arrives). */
  until(match: (log: string) => boolean): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCommand(configDir: string): Command {
  const child = spawn(process.execPath, [CLI, '-c', configDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const waiters = new Set<() => void>();
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    log += chunk;
    for (const wake of [...waiters]) wake();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const until = (match: (text: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        if (!match(log)) return;
        waiters.delete(check);
        resolve(log);
      };
      waiters.add(check);
      void exited.then(() => {
        if (waiters.delete(check)) reject(new Error(`the command exited; its log:\n${log}`));
      });
      check();
    });
  return { child, output: () => log, until, exited };
}

const count = (text: string, word: string) => text.split(word).length - 1;

describe('TLS certificate reload on SIGHUP', function () {
  this.timeout(30_000);
  let a: CertFiles;
  let b: CertFiles;
  let dir: string;
  let sandbox: Sandbox;
  before(async () => {
    [a, b] = await Promise.all([makeCertificates(), makeCertificates()]);
    sandbox = await startSandbox({ release: RELEASE.version });
  });
  after(async () => {
    await sandbox.stop();
    await Promise.all([a.remove(), b.remove()]);
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'salt-api-koa-tls-reload-'));
  });
  /** The command of the test under way: killed even when the test times out. */
  let api: Command | undefined;
  afterEach(() => {
    api?.child.kill('SIGKILL');
    api = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the new certificate to new connections, and keeps the last good one when the new files are unusable', async () => {
    const crt = path.join(dir, 'api.crt');
    const key = path.join(dir, 'api.key');
    copyFileSync(a.selfSignedCrt, crt);
    copyFileSync(a.selfSignedKey, key);
    const etc = path.join(dir, 'etc');
    mkdirSync(etc);
    const master = { ...sandbox.config, rest_koa: { port: 0, host: '127.0.0.1', ssl_crt: crt, ssl_key: key } };
    // JSON is YAML.
    writeFileSync(path.join(etc, 'master'), JSON.stringify(master));

    const command = startCommand(etc);
    api = command;
    const url = /listening on (https:\/\/\S+)/.exec(await command.until((log) => /listening on https:\/\/\S+\s/.test(log)))![1]!;
    expect(await servedFingerprint(url)).to.equal(fingerprintOf(a.selfSignedCrt));

    // Renewed: both files replaced in place, then SIGHUP.
    copyFileSync(b.selfSignedCrt, crt);
    copyFileSync(b.selfSignedKey, key);
    command.child.kill('SIGHUP');
    await command.until((log) => count(log, 'TLS certificate reloaded') === 1);
    expect(await servedFingerprint(url)).to.equal(fingerprintOf(b.selfSignedCrt));
    await request(url).get('/').ca(await b.read(b.selfSignedCrt)).expect(200);

    // Garbage: refused in one error line; the server goes on with B.
    writeFileSync(crt, 'not a certificate\n');
    writeFileSync(key, 'not a key\n');
    command.child.kill('SIGHUP');
    const garbage = await command.until((log) => count(log, 'TLS certificate not reloaded') === 1);
    expect(garbage.split('\n').filter((line) => line.includes('TLS certificate not reloaded'))).to.have.length(1);
    expect(await servedFingerprint(url)).to.equal(fingerprintOf(b.selfSignedCrt));

    // A certificate with the key of another: refused as well.
    copyFileSync(a.selfSignedCrt, crt);
    copyFileSync(b.selfSignedKey, key);
    command.child.kill('SIGHUP');
    const mismatch = await command.until((log) => count(log, 'TLS certificate not reloaded') === 2);
    expect(mismatch).to.match(/TLS certificate not reloaded, still serving the previous one: .*key values mismatch/);
    expect(await servedFingerprint(url)).to.equal(fingerprintOf(b.selfSignedCrt));
    await request(url).get('/').ca(await b.read(b.selfSignedCrt)).expect(200);

    command.child.kill('SIGTERM');
    expect(await command.exited).to.deep.equal({ code: 0, signal: null });
    expect(count(command.output(), 'TLS certificate reloaded')).to.equal(1);
  });
});
