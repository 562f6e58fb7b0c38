/** What the master's command handlers, runners, wheel functions and minions share. */
import type { SaltMap, SaltValue } from '../salt/types.js';
import type { Auth } from './auth.js';
import type { EventBus } from './eventBus.js';
import type { JobCache } from './jobs.js';
import type { KeyStore } from './keys.js';
import type { Fleet } from './minions.js';
import type { ReturnPacer } from './returnPacer.js';
import type { Timers } from './timers.js';
import type { SaltRelease } from '../salt/releases.js';

/** What a master command answers: the reply, and work that must wait until the reply is out. */
export interface CommandResult {
  reply: SaltValue;
  /** Started once the reply has been sent (minion returns, runner jobs). */
  after?: () => Promise<void>;
}

export interface ExecutionRecord {
  jid: string;
  minion: string;
  fun: string;
  arg: SaltValue[];
}

/** What tests read back: every request load and every simulated execution, in order. */
export interface Recorder {
  readonly requests: SaltMap[];
  readonly executed: ExecutionRecord[];
  /** Off for long-running processes (benchmarks), where the logs would only grow. */
  readonly enabled: boolean;
}

export interface MasterContext {
  /** The master's own minion id: runner/wheel jobs are cached under it. */
  readonly masterId: string;
  readonly bus: EventBus;
  readonly keys: KeyStore;
  readonly fleet: Fleet;
  readonly jobs: JobCache;
  readonly auth: Auth;
  readonly timers: Timers;
  /** Turns for delivering returns, a batch per event-loop turn. */
  readonly returns: ReturnPacer;
  /** Milliseconds over which a job's returns are spread (0: all answer after the same latency). */
  readonly returnWindowMs: number;
  readonly recorder: Recorder;
  /** False between `stopMaster()` and `startMaster()`: returns and runner results are lost. */
  readonly online: boolean;
  /** The options `config.values` shows. */
  readonly options: SaltMap;
  /** The Salt release whose wire behaviour the sandbox reproduces. */
  readonly release: SaltRelease;
}
