/**
 * Running Debian's `salt-pepper` (0.5.5) as a child process, and reading the runs of it against
 * the real salt-api recorded in test/fixtures/captures/pepper.txt.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import { fixturePath } from './paths.js';

/** The absolute path of an executable on PATH, if there is one. */
export function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export interface PepperRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `salt-pepper` with `args` and exactly `env` on top of PATH (no SALTAPI_* or PEPPER* of the
 * caller's leaks in), without a terminal to prompt on.
 */
export function runPepper(executable: string, args: string[], env: Record<string, string>, timeoutMs = 30000): Promise<PepperRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, { env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The URL the recorded runs used with `-u`. */
export const RECORDED_URL = 'http://127.0.0.1:8000';

export interface RecordedPepperRun {
  /** What was typed after `$ `. */
  command: string;
  /** stdout and stderr as the terminal showed them. */
  output: string;
  code: number;
}

/** Words joined as the transcript shows them: quoted only where a shell needs it. */
export function shellWords(words: string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w}'`)).join(' ');
}

/** The recorded run of `salt-pepper <args>`; `args` uses RECORDED_URL. */
export function recordedPepperRun(args: string[]): RecordedPepperRun {
  const command = `salt-pepper ${shellWords(args)}`;
  const text = readFileSync(fixturePath('captures/pepper.txt'), 'utf8');
  const block = text.split('\n$ ').find((b) => b.startsWith(`${command}\n`));
  if (block === undefined) throw new Error(`pepper.txt has no run of: ${command}`);
  const m = /^([\s\S]*?)\n\[rc=(\d+)\]/.exec(block.slice(command.length + 1));
  if (!m) throw new Error(`pepper.txt: no exit code after: ${command}`);
  return { command, output: m[1]!, code: Number(m[2]) };
}
