/** The simulated minions: what each one is (grains), how it behaves (slow, down) and what it runs. */
import type { SaltMap, SaltValue } from '../salt/types.js';
import { buildGrains } from './grains.js';
import type { KeyStore } from './keys.js';
import type { Roster } from './targeting.js';

export interface SandboxMinionOptions {
  /** Seconds added to every job (a "slow" minion); `saltutil.find_job` still answers at once. */
  delay?: number;
  /** Key accepted, but the minion never answers (not even `find_job`). */
  down?: boolean;
  /** Grains laid over the defaults. */
  grains?: Record<string, SaltValue>;
}

export class Minion {
  delay = 0;
  down = false;
  /** The jobs in progress, as `saltutil.running` reports them (the minion's proc files). */
  readonly running = new Map<string, SaltMap>();

  constructor(
    readonly id: string,
    public grains: SaltMap,
  ) {}

  configure(options: SandboxMinionOptions): void {
    this.delay = Math.max(0, options.delay ?? 0);
    this.down = options.down ?? false;
  }
}

/**
 * All minion processes the sandbox simulates. A key without a minion (one `key.gen_accept`
 * created) is accepted but never answers, like a key whose host was never set up.
 */
export class Fleet implements Roster {
  private readonly minions = new Map<string, Minion>();

  constructor(private readonly keys: KeyStore) {}

  /** Create or reconfigure a minion; its grains are replaced only when given. */
  set(id: string, options: SandboxMinionOptions): Minion {
    let minion = this.minions.get(id);
    if (minion === undefined) {
      minion = new Minion(id, buildGrains(id, this.minions.size, options.grains));
      this.minions.set(id, minion);
    } else if (options.grains) {
      minion.grains = buildGrains(id, [...this.minions.keys()].indexOf(id), options.grains);
    }
    minion.configure(options);
    return minion;
  }

  get(id: string): Minion | undefined {
    return this.minions.get(id);
  }

  all(): Minion[] {
    return [...this.minions.values()];
  }

  accepted(): string[] {
    return this.keys.accepted();
  }

  grains(id: string): SaltMap | undefined {
    return this.minions.get(id)?.grains;
  }

  /** Accepted and answering: what `manage.up` and `minions.connected` report. */
  isUp(id: string): boolean {
    const minion = this.minions.get(id);
    return minion !== undefined && !minion.down && this.keys.isAccepted(id);
  }
}
