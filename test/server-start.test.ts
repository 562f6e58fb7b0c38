/** startServer() that cannot listen: it fails, and leaves nothing open behind it. */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { settingsFromMaster } from '../src/config/settings.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { RELEASE } from './support/release.js';

const CHILD = fileURLToPath(new URL('./support/failedStart.js', import.meta.url));

describe('startServer on a port that is taken', () => {
  let sandbox: Sandbox;
  let taken: net.Server;
  let port: number;
  before(async () => {
    sandbox = await startSandbox({ release: RELEASE.version });
    taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as net.AddressInfo).port;
  });
  /** The child of the test under way: killed even when the test times out. */
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });
  after(async () => {
    await new Promise((resolve) => taken.close(resolve));
    await sandbox.stop();
  });

  it('fails with EADDRINUSE and closes its master connections: the process then exits on its own', async () => {
    const raw = { ...sandbox.config, rest_koa: { ...(sandbox.config.rest_koa as object), port, host: '127.0.0.1' } };
    const settings = settingsFromMaster(raw, 'test');
    const started = spawn(process.execPath, [CHILD], {
      env: { ...process.env, SALT_API_KOA_SETTINGS: JSON.stringify(settings) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    let output = '';
    started.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    started.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    // Without the fix the bus connection and its reconnect timer keep it alive: no exit comes.
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      started.once('exit', (code, signal) => resolve({ code, signal })),
    );
    expect({ ...exit, output }).to.deep.equal({ code: 0, signal: null, output: 'failed: EADDRINUSE\n' });
  });
});
