/**
 * The salt-api-koa command and the standalone sandbox master as child processes, as an operator
 * runs them: their stderr kept for the tests to read, their exit awaitable.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const SANDBOX = fileURLToPath(new URL('../../src/sandbox/main.js', import.meta.url));
const LISTENING = /listening on (http:\/\/\S+)/;

export class WatchedProcess {
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** The URL the command announces once it listens. */
  listening(): Promise<string> {
    return waitFor('the listening line', () => LISTENING.exec(this.stderr)?.[1], 30_000);
  }

  /** SIGTERM, unless it has exited already, and its exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

/** `salt-api-koa -c <configDir> -l info`. */
export function startCli(configDir: string): WatchedProcess {
  return new WatchedProcess(spawn(process.execPath, [CLI, '-c', configDir, '-l', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] }));
}

/** The standalone sandbox master, which writes its master config to `configOut` once it listens. */
export function startSandboxProcess(configOut: string): WatchedProcess {
  return new WatchedProcess(spawn(process.execPath, [SANDBOX, '--config-out', configOut], { stdio: ['ignore', 'ignore', 'pipe'] }));
}
