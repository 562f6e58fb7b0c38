/**
 * `workers > 1` (node:cluster). The primary only supervises: it forks the workers, hands each the
 * settings it has already validated, replaces a worker that dies and stops them all on shutdown.
 * Every worker runs the whole server (its own master connections and its one event-bus
 * subscription); node:cluster shares the listening socket between them. The primary also collects
 * the workers' metrics for the worker that answers `GET /metrics` (src/metrics/cluster.ts).
 */
import cluster, { type Worker } from 'node:cluster';
import type { Settings } from './config/types.js';
import type { Logger } from './log.js';
import { serveClusterCounters } from './auth/throttle.js';
import { MetricsCollector } from './metrics/cluster.js';

/** Worker → primary. */
type WorkerMessage = { type: 'settings?' } | { type: 'ready'; url: string };

/** Primary → worker. */
interface SettingsMessage {
  type: 'settings';
  settings: Settings;
  /** Which of the `workers` places this worker fills (0…N-1); a replacement takes its predecessor's. */
  slot: number;
}

/** What a worker is told by the primary. */
export interface WorkerAssignment {
  settings: Settings;
  slot: number;
}

/** Replacing a worker that keeps dying young waits longer each time, up to the maximum. */
const RESTART_DELAY_MS = { first: 500, max: 30_000 };
/** A worker that lived this long was healthy: its replacement starts at once. */
const HEALTHY_AFTER_MS = 10_000;
/** Time workers get to finish in-flight requests (the server's own grace is 10 s) before SIGKILL. */
const STOP_TIMEOUT_MS = 15_000;

export interface Supervisor {
  /** Where the workers listen. */
  url: string;
  /** SIGHUP to every worker: each reopens its log files and reloads its TLS certificate. */
  reload(): void;
  /** Stop every worker (SIGTERM, SIGKILL after a grace period) and wait until they are gone. */
  stop(): Promise<void>;
}

function isWorkerMessage(message: unknown): message is WorkerMessage {
  return typeof message === 'object' && message !== null && 'type' in message;
}

function isSettingsMessage(message: unknown): message is SettingsMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'settings';
}

function describeExit(code: number | null, signal: string | null): string {
  return signal ? `signal ${signal}` : `code ${String(code)}`;
}

/** Fork `settings.api.workers` workers and resolve once all of them listen. */
export async function superviseWorkers(settings: Settings, log: Logger): Promise<Supervisor> {
  // Structured clone rather than JSON: settings may hold binary values from the master config.
  cluster.setupPrimary({ serialization: 'advanced' });
  // auth_throttle's counters live here, so the limits hold across workers.
  if (settings.api.auth_throttle.enabled) serveClusterCounters();
  const workers = new Set<Worker>();
  /** Workers that reported ready: those a scrape collects metrics from. */
  const serving = new Set<Worker>();
  const metrics = new MetricsCollector(() => serving);
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;
  let restartDelay = 0;

  /** `onReady` once the worker listens, `onExit` if it exits, whichever happens. */
  const fork = (slot: number, onReady: (url: string) => void, onExit: (code: number | null, signal: string | null, ready: boolean) => void): void => {
    const worker = cluster.fork();
    const started = Date.now();
    let ready = false;
    workers.add(worker);
    worker.on('message', (message: unknown) => {
      if (metrics.handle(worker, message) || !isWorkerMessage(message)) return;
      if (message.type === 'settings?') worker.send({ type: 'settings', settings, slot } satisfies SettingsMessage);
      if (message.type === 'ready' && !ready) {
        ready = true;
        serving.add(worker);
        log.info(`worker ${worker.id} ready (pid ${worker.process.pid})`);
        onReady(message.url);
      }
    });
    worker.once('exit', (code, signal) => {
      workers.delete(worker);
      serving.delete(worker);
      if (stopping) return;
      log.warn(`worker ${worker.id} (pid ${worker.process.pid}) exited with ${describeExit(code, signal)}`);
      const lived = Date.now() - started;
      restartDelay = lived < HEALTHY_AFTER_MS ? Math.min(Math.max(restartDelay * 2, RESTART_DELAY_MS.first), RESTART_DELAY_MS.max) : 0;
      onExit(code, signal, ready);
    });
  };

  /** Keeps the worker count up for as long as the primary runs. */
  const replace = (slot: number): void => {
    log.info(`starting a new worker in ${restartDelay} ms`);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopping) fork(slot, () => {}, () => replace(slot));
    }, restartDelay);
    timers.add(timer);
  };

  const stop = async (): Promise<void> => {
    stopping = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    const exits = [...workers].map((worker) => new Promise<void>((resolve) => {
      if (worker.isDead()) return resolve();
      worker.once('exit', () => resolve());
      worker.process.kill('SIGTERM');
    }));
    const killer = setTimeout(() => {
      for (const worker of workers) worker.process.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    await Promise.all(exits);
    clearTimeout(killer);
  };

  // Start-up: every worker must come up once; one that dies first means the config cannot serve.
  let url: string;
  try {
    const urls = await Promise.all(
      Array.from({ length: settings.api.workers }, (_, slot) =>
        new Promise<string>((resolve, reject) => {
          fork(slot, resolve, (code, signal, ready) => {
            if (ready) replace(slot);
            else reject(new Error(`a worker exited with ${describeExit(code, signal)} before it was ready`));
          });
        }),
      ),
    );
    url = urls[0] ?? '';
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url,
    reload() {
      for (const worker of workers) worker.process.kill('SIGHUP');
    },
    stop,
  };
}

/** In a worker: the settings the primary validated, and this worker's place. */
export function assignmentFromPrimary(): Promise<WorkerAssignment> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown): void => {
      if (!isSettingsMessage(message)) return;
      process.off('message', onMessage);
      resolve({ settings: message.settings, slot: message.slot });
    };
    // Asked for, not pushed: a message sent before this listener exists would be lost.
    process.on('message', onMessage);
    process.send?.({ type: 'settings?' } satisfies WorkerMessage);
  });
}

/** In a worker: tell the primary this worker listens. */
export function reportReady(url: string): void {
  process.send?.({ type: 'ready', url } satisfies WorkerMessage);
}
