/**
 * `salt-master --version` (else `salt --version`) when such a command is on PATH: the release
 * installed on this host. It is not necessarily the running master's (one not restarted after an
 * upgrade), so it is compared with what the wire shows, never taken in its place.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';

export interface InstalledSalt {
  command: string;
  version: string;
}

const COMMANDS = ['salt-master', 'salt'];
/** Salt's commands import a lot of Python before they print their version. */
const VERSION_TIMEOUT_MS = 15_000;

async function onPath(command: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

function versionOutput(file: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(file, ['--version'], { timeout: VERSION_TIMEOUT_MS }, (error, stdout) => resolve(error ? undefined : stdout));
  });
}

export async function installedSalt(): Promise<InstalledSalt | undefined> {
  for (const command of COMMANDS) {
    const file = await onPath(command);
    if (!file) continue;
    // "salt-master 3007.14 (Chlorine)"
    const version = /\b(\d{4}\.\d+)\b/.exec((await versionOutput(file)) ?? '')?.[1];
    if (version) return { command, version };
  }
  return undefined;
}
