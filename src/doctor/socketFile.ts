/**
 * Can this process use a bus socket file? Its existence and type, access(R_OK|W_OK), and what an
 * operator needs when it cannot: who owns it and its mode (salt-versions.md §9: the master's
 * release and config decide whether its group may use it). Connecting to a unix socket also
 * needs search permission on every directory above it, so a denial is pinned on the one at fault.
 */
import { constants, type Stats } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { errorCode } from '../config/configError.js';
import { groupName, userName } from './accounts.js';

export interface Denial {
  /** The socket file, or the directory above it that may not be searched. */
  path: string;
  owner: string;
  group: string;
  /** `0660 (srw-rw----)`. */
  mode: string;
  /** A directory above the socket, rather than the socket itself. */
  directory: boolean;
}

export type SocketFileState =
  | { kind: 'ok'; mode: string }
  | { kind: 'missing' }
  | { kind: 'not-socket' }
  | { kind: 'denied'; denial: Denial }
  | { kind: 'error'; code: string };

function typeChar(stats: Stats): string {
  if (stats.isSocket()) return 's';
  if (stats.isDirectory()) return 'd';
  return stats.isFile() ? '-' : '?';
}

export function describeMode(stats: Stats): string {
  const bits = stats.mode & 0o777;
  const triplet = (shift: number) =>
    `${bits & (4 << shift) ? 'r' : '-'}${bits & (2 << shift) ? 'w' : '-'}${bits & (1 << shift) ? 'x' : '-'}`;
  return `${(stats.mode & 0o7777).toString(8).padStart(4, '0')} (${typeChar(stats)}${triplet(6)}${triplet(3)}${triplet(0)})`;
}

function denial(file: string, stats: Stats): Denial {
  return {
    path: file,
    owner: userName(stats.uid),
    group: groupName(stats.gid),
    mode: describeMode(stats),
    directory: stats.isDirectory(),
  };
}

/** The first directory on the way to `file` this process may not search. */
async function blockingDirectory(file: string): Promise<Denial | undefined> {
  const parts = path.resolve(path.dirname(file)).split(path.sep).filter(Boolean);
  let current: string = path.sep;
  for (const part of [undefined, ...parts]) {
    if (part !== undefined) current = path.join(current, part);
    try {
      await access(current, constants.X_OK);
    } catch {
      try {
        return denial(current, await stat(current));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export async function inspectSocketFile(file: string): Promise<SocketFileState> {
  let stats: Stats;
  try {
    stats = await stat(file);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return { kind: 'missing' };
    if (code === 'EACCES') {
      const blocked = await blockingDirectory(file);
      if (blocked) return { kind: 'denied', denial: blocked };
    }
    return { kind: 'error', code };
  }
  if (!stats.isSocket()) return { kind: 'not-socket' };
  try {
    await access(file, constants.R_OK | constants.W_OK);
  } catch (error) {
    const code = errorCode(error);
    return code === 'EACCES' ? { kind: 'denied', denial: denial(file, stats) } : { kind: 'error', code };
  }
  return { kind: 'ok', mode: describeMode(stats) };
}

/** Connect once: `ok`, or the errno code (`ECONNREFUSED`: a socket file left by a master that is gone). */
export function tryConnect(options: net.NetConnectOpts, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(options);
    const done = (outcome: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done('ETIMEDOUT'), timeoutMs);
    socket.once('connect', () => done('ok'));
    socket.once('error', (error) => done(errorCode(error)));
  });
}
