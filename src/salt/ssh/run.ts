/**
 * Running salt-ssh: an argv array and no shell, stdin closed (it must never wait for a password
 * prompt), working directory `/` (salt-ssh reads a `Saltfile` from its working directory), output
 * capped, and the whole process group killed when the time is up, since salt-ssh leaves one ssh
 * process per host behind it.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { Errors } from '../../errors.js';

/** More than any sane return; beyond it the API would only buffer an attacker's output. */
const MAX_STDOUT_BYTES = 64 * 1024 * 1024;
/** The tail of stderr kept for the log. */
const MAX_STDERR_BYTES = 16 * 1024;
/** How long salt-ssh gets to exit on SIGTERM before the group is killed outright. */
const KILL_GRACE_MS = 2000;

export interface SaltSshOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

const SPAWN_PROBLEMS: Record<string, string> = {
  ENOENT: 'was not found',
  EACCES: 'is not executable by the API',
  ENOTDIR: 'was not found',
};

/**
 * Run salt-ssh to completion; 501 when it cannot be started, 504 on timeout, 500 on runaway output.
 * `onExit` is called once the process is gone (or could not be started), which on a timeout is
 * after the answer: the process group gets its SIGTERM, then SIGKILL, before it counts as gone.
 */
export function runSaltSsh(command: string, argv: readonly string[], timeoutMs: number, onExit: () => void = () => {}): Promise<SaltSshOutput> {
  return new Promise((resolve, reject) => {
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(command, argv, { shell: false, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (error) {
      // An argument spawn() refuses outright (a NUL byte): nothing was started.
      onExit();
      throw error;
    }
    child.once('exit', onExit);
    // A spawn that failed has no process, and no 'exit' to come.
    child.once('error', () => {
      if (child.pid === undefined) onExit();
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = Buffer.alloc(0);
    let settled = false;
    const settle = () => {
      const first = !settled;
      settled = true;
      clearTimeout(timer);
      return first;
    };
    const fail = (error: Error) => {
      if (!settle()) return;
      killGroup(child.pid, 'SIGTERM');
      setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
      reject(error);
    };
    const timer = setTimeout(() => fail(Errors.ClientTimeout('salt-ssh')), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (settled) return;
      stdoutBytes += chunk.length;
      if (stdoutBytes > MAX_STDOUT_BYTES) fail(Errors.SshFailed(`salt-ssh wrote more than ${MAX_STDOUT_BYTES} bytes of output`));
      else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk]).subarray(-MAX_STDERR_BYTES);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      const problem = error.code !== undefined && Object.hasOwn(SPAWN_PROBLEMS, error.code) ? SPAWN_PROBLEMS[error.code] : undefined;
      fail(problem ? Errors.SshUnavailable(command, problem) : Errors.SshFailed(`salt-ssh could not be started (${error.code ?? error.message})`));
    });
    child.on('close', (code, signal) => {
      if (code === null) fail(Errors.SshFailed(`salt-ssh was killed by ${signal ?? 'a signal'}`));
      else if (settle()) resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr: stderr.toString('utf8'), exitCode: code });
    });
  });
}
