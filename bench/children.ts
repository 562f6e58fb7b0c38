/**
 * The bench's child processes (sandbox master, API, baselines): spawned through one group that
 * stops every one of them whatever way the bench ends, so no server outlives a run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** How much of a child's output is kept to explain its failure. */
const OUTPUT_TAIL = 4096;
/** How long a child gets to exit after SIGTERM before it is killed. */
const STOP_GRACE_MS = 5000;

export class Child {
  private tail = '';
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<string>;

  constructor(
    readonly name: string,
    private readonly process: ChildProcess,
  ) {
    // Reading both pipes also keeps a chatty child from blocking on a full pipe.
    for (const stream of [process.stdout, process.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => this.record(chunk));
    }
    this.exited = new Promise((resolve) => {
      process.once('exit', (code, signal) => resolve(signal ?? String(code)));
      process.once('error', (error) => resolve(error.message));
    });
  }

  get pid(): number {
    if (this.process.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** The last lines the child wrote, for error messages. */
  output(): string {
    return this.tail.trimEnd();
  }

  /** The first match of `pattern` in the child's output; fails when it exits or `timeoutMs` passes first. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const check = (): void => {
        const match = pattern.exec(this.tail);
        if (match) finish(() => resolve(match));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.output()}`))), timeoutMs);
      const finish = (settle: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        for (const stream of [this.process.stdout, this.process.stderr]) stream?.off('data', check);
        settle();
      };
      for (const stream of [this.process.stdout, this.process.stderr]) stream?.on('data', check);
      void this.exited.then((how) => finish(() => reject(new Error(`${this.name} exited (${how}):\n${this.output()}`))));
      check();
    });
  }

  /** SIGTERM, then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** Synchronous last resort, for the bench's own `exit`. */
  kill(): void {
    if (this.running) this.process.kill('SIGKILL');
  }

  private record(chunk: string): void {
    this.tail = (this.tail + chunk).slice(-OUTPUT_TAIL);
  }
}

export class ProcessGroup {
  private readonly children = new Set<Child>();

  constructor() {
    process.once('exit', () => this.children.forEach((child) => child.kill()));
  }

  /** Start `node <args>` (the same node that runs the bench). */
  spawnNode(name: string, args: string[]): Child {
    const child = new Child(name, spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    this.children.add(child);
    void child.exited.then(() => this.children.delete(child));
    return child;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children].map((child) => child.stop()));
  }
}

/** The kernel's fixed unit (USER_HZ) for the times in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc/<pid>/stat. */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = [fields[11], fields[12]].map(Number);
  if (utime === undefined || stime === undefined || Number.isNaN(utime + stime)) throw new Error(`no CPU times for process ${pid}`);
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

async function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status)?.[1];
  if (kib === undefined) throw new Error(`no ${field} for process ${pid}`);
  return Number(kib) / 1024;
}

/** Resident set size of a process in MiB, from /proc/<pid>/status. */
export function residentMiB(pid: number): Promise<number> {
  return statusMiB(pid, 'VmRSS');
}

/** The highest resident set size a process has had so far ("high water mark"), in MiB. */
export function peakResidentMiB(pid: number): Promise<number> {
  return statusMiB(pid, 'VmHWM');
}
