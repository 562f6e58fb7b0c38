/**
 * Child processes that live in their own process group, for the real-Salt harness.
 *
 * salt-master forks a dozen processes (publisher, event publisher, MWorkers, maintenance…) and
 * the minion a few more; killing only the pid we spawned would leave those behind. So each
 * daemon is spawned `detached` (setsid: it leads a new process group) and is always stopped by
 * signalling the whole group. Three layers keep a test run from leaking daemons:
 *  - stop(): SIGTERM to the group, SIGKILL after a grace period, wait until no member is alive;
 *  - hooks on this process's `exit` and on SIGINT/SIGTERM/SIGHUP: SIGKILL every live group;
 *  - salt_entry.py's watchdog: the daemon kills its own group when its stdin (a pipe from us)
 *    closes, which also covers this process dying by SIGKILL.
 * Linux only: group membership is read from /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const liveGroups = new Set<number>();
let hooksInstalled = false;

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: nobody left in the group
  }
}

function killAllGroupsNow(): void {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
  liveGroups.clear();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllGroupsNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllGroupsNow();
      // Listening disables the default action (terminate); when nobody else listens, restore it.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

/**
 * Pids of the live (non-zombie) processes in group `pgid`. Zombies are skipped: a reparented
 * child that exited may stay a zombie for a while if PID 1 is slow to reap, and it holds nothing.
 */
export async function groupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the parenthesised command name: state ppid pgrp …
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry));
  }
  return members;
}

async function waitGroupEmpty(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await groupMembers(pgid)).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
}

export interface GroupProcess {
  readonly name: string;
  /** The leader's pid, which is also the process group id. */
  readonly pid: number;
  /** Exit code, or signal name, of the group leader. */
  readonly exited: Promise<number | string>;
  hasExited(): boolean;
  /** Stop every process in the group: SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnGroupOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** stdout and stderr of the leader are appended to this file. */
  outputFile: string;
}

function leaderExit(child: ChildProcess): Promise<number | string> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
}

/** Spawn `command` as the leader of a new process group; stdin stays an open pipe (see header). */
export async function spawnGroup(name: string, command: string, args: string[], options: SpawnGroupOptions): Promise<GroupProcess> {
  installExitHooks();
  const output = openSync(options.outputFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['pipe', output, output] });
    await once(child, 'spawn'); // rejects with the spawn error (e.g. ENOENT)
  } finally {
    closeSync(output); // the child has its own copy
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: spawn failed`);
  liveGroups.add(pid);
  // Neither the daemon nor its stdin pipe should keep this process alive; the exit hook kills it.
  child.unref();
  if (child.stdin instanceof net.Socket) child.stdin.unref();
  child.stdin?.on('error', () => undefined); // EPIPE once the daemon is gone
  let leaderDone = false;
  const exited = leaderExit(child).finally(() => {
    leaderDone = true;
  });

  return {
    name,
    pid,
    exited,
    hasExited: () => leaderDone,
    async stop(graceMs = 3000): Promise<void> {
      signalGroup(pid, 'SIGTERM');
      if (!(await waitGroupEmpty(pid, graceMs))) {
        signalGroup(pid, 'SIGKILL');
        await waitGroupEmpty(pid, 5000);
      }
      liveGroups.delete(pid);
      child.stdin?.destroy();
    },
  };
}
