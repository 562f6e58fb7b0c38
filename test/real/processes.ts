/**
 * The Salt processes of one harness run, found by the run's temp root in their command line (every
 * daemon gets `-c <root>/etc`, and the processes it forks keep that command line). Used to prove
 * a stopped run left nothing behind, and to end the job processes a process-group kill misses.
 */
import { readFile, readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Pids whose command line mentions `rootDir`: every daemon the harness started has it in `-c`. */
export async function processesUsing(rootDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    // With the separator: no other root can have this one as a prefix.
    if (cmdline.includes(`${rootDir}/`)) pids.push(Number(entry));
  }
  return pids;
}

/** `pid (state, pgid, sid): command line`, for reporting a process that should not be there. */
export async function describeProcess(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const [state, , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ').trim();
  return `${pid} (state ${state}, pgid ${pgrp}, sid ${session}): ${cmdline}`;
}

/**
 * Wait up to `graceMs` for the processes still using `rootDir` to end, then SIGKILL each by pid.
 * The master runs runner jobs in daemonized processes (salt/client/mixins.py, AsyncClientMixin:
 * salt.utils.process.daemonize, a double fork and setsid), which leave the master's process group
 * and so survive the group kill; such a process ends by itself moments later, or hangs on the
 * master it can no longer reach.
 */
export async function stopStragglers(rootDir: string, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  let pids = await processesUsing(rootDir);
  while (pids.length > 0 && Date.now() < deadline) {
    await sleep(100);
    pids = await processesUsing(rootDir);
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // ESRCH: it ended meanwhile
    }
  }
  for (let waited = 0; pids.length > 0 && waited < 50; waited++) {
    await sleep(100);
    pids = await processesUsing(rootDir);
  }
}
