/**
 * `auth_throttle`: brute-force protection for every place credentials are checked by the master
 * (passwords on /login, /token, /run and in lowstate; tokens that are not in the cache). Before
 * the master is asked, the counters are read: a client past a limit gets 429 with Retry-After and
 * the master never sees the attempt. The master's refusals are counted; past a limit the key is
 * blocked for `block` seconds.
 *
 * Three counters (README "Brute-force protection"): per client address, per user name and
 * address, and a higher one per user name from all addresses. A success clears the user+address
 * counter only: a valid account of the attacker's own must not wipe its address's record.
 *
 * Attempts in flight are not counted, only verdicts: a burst of concurrent logins with the right
 * password must not lock its user out. So up to `concurrency` guesses may be under way when a
 * limit is reached; every later one is refused.
 *
 * With `workers: N` the counters live in the cluster primary (rate-limiter-flexible's
 * RateLimiterCluster, over node:cluster IPC), so the limits hold for the whole server.
 */
import cluster from 'node:cluster';
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { RateLimiterCluster, RateLimiterClusterMaster, RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AuthThrottleOptions } from '../config/types.js';
import { Errors } from '../errors.js';
import type { Logger } from '../log.js';

/** Who tries to authenticate: the client address and, for passwords, the user name it claims. */
export interface Attempt {
  ip: string;
  user?: string;
}

/**
 * What the token authority asks around each master check of credentials. `admit` and `accepted`
 * return nothing when there is nothing to check or clear (no failure counted lately), so that a
 * login then waits on no promise of theirs.
 */
export interface CredentialGuard {
  /** Throws (or rejects with) Errors.TooManyAttempts when a limit is already reached. */
  admit(attempt: Attempt): Promise<void> | undefined;
  /** The master refused the credentials. */
  refused(attempt: Attempt): Promise<void>;
  /** The master accepted the credentials. */
  accepted(attempt: Attempt): Promise<void> | undefined;
}

/** How long a worker waits for the primary's counters (IPC) before letting an attempt through. */
const CLUSTER_TIMEOUT_MS = 2000;

/** An attempt's keys: the address's, and the claimed user name's digest (computed once per check). */
interface AttemptKeys {
  ip: string;
  user?: string;
}

interface Counter {
  limiter: RateLimiterAbstract;
  limit: number;
  key(keys: AttemptKeys): string | undefined;
  /** Whether a success clears this counter. */
  clearOnSuccess: boolean;
}

/**
 * The key of a client address: an IPv4 address itself, an IPv6 address its /64, since that is
 * what one host is usually given and a client that owns it has 2^64 addresses to rotate through.
 */
export function addressKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** User names are client text of any length: the counters key on a digest. */
const userKey = (user: string) => createHash('sha256').update(user).digest('base64');

/** In a cluster primary: the counters the workers' RateLimiterCluster instances talk to. */
export function serveClusterCounters(): void {
  new RateLimiterClusterMaster();
}

export class AuthThrottle implements CredentialGuard {
  private readonly counters: Counter[];
  private readonly block: number;
  /**
   * In a single process every count lives here, and none outlives `window` + `block` seconds:
   * after that long without a refusal there is nothing to read or clear, and a check costs
   * nothing (the everyday case). Workers cannot know of the others' refusals, so they always ask.
   */
  private readonly quietAfterMs: number | undefined;
  private lastRefusalMs = -Infinity;

  constructor(
    options: AuthThrottleOptions,
    private readonly log: Logger,
  ) {
    this.block = options.block;
    this.quietAfterMs = cluster.isWorker ? undefined : (options.window + options.block) * 1000;
    const counter = (name: string, limit: number, key: Counter['key'], clearOnSuccess = false): Counter => {
      // `points` is never what refuses (admit() compares itself); it only has to exceed any count.
      const shape = { keyPrefix: `auth-throttle-${name}`, points: Number.MAX_SAFE_INTEGER, duration: options.window };
      const limiter = cluster.isWorker ? new RateLimiterCluster({ ...shape, timeoutMs: CLUSTER_TIMEOUT_MS }) : new RateLimiterMemory(shape);
      return { limiter, limit, key, clearOnSuccess };
    };
    this.counters = [
      counter('ip', options.max_failures_per_ip, ({ ip }) => ip),
      counter('user-ip', options.max_failures_per_user_ip, ({ ip, user }) => (user === undefined ? undefined : `${user} ${ip}`), true),
    ];
    if (options.max_failures_per_user > 0) {
      this.counters.push(counter('user', options.max_failures_per_user, ({ user }) => user));
    }
  }

  /**
   * Whether no count can exist now, so there is nothing to read or clear. Once that holds, the
   * last refusal is forgotten, so the everyday check does not even read the clock.
   */
  private quiet(): boolean {
    if (this.quietAfterMs === undefined) return false;
    if (this.lastRefusalMs === -Infinity) return true;
    if (Date.now() - this.lastRefusalMs <= this.quietAfterMs) return false;
    this.lastRefusalMs = -Infinity;
    return true;
  }

  admit(attempt: Attempt): Promise<void> | undefined {
    return this.quiet() ? undefined : this.check(attempt);
  }

  private async check(attempt: Attempt): Promise<void> {
    const counts = await this.each(attempt, 'read', (counter, key) => counter.limiter.get(key));
    let wait = 0;
    for (const [counter, count] of counts) {
      if (count && count.consumedPoints >= counter.limit) wait = Math.max(wait, count.msBeforeNext);
    }
    if (wait !== 0) throw Errors.TooManyAttempts(wait < 0 ? this.block : Math.max(1, Math.ceil(wait / 1000)));
  }

  async refused(attempt: Attempt): Promise<void> {
    this.lastRefusalMs = Date.now();
    await this.each(attempt, 'count', async ({ limiter, limit }, key) => {
      const count = await limiter.penalty(key);
      // The failure that reaches the limit starts the block (which a later failure does not prolong).
      if (this.block > 0 && count.consumedPoints === limit) await limiter.block(key, this.block);
      return count;
    });
  }

  accepted(attempt: Attempt): Promise<void> | undefined {
    if (this.quiet()) return undefined;
    return this.each(attempt, 'clear', async ({ limiter }, key) => limiter.delete(key), ({ clearOnSuccess }) => clearOnSuccess).then(() => undefined);
  }

  /**
   * `action` on every counter that applies to `attempt`, at once. Counters that cannot be reached
   * (a primary that does not answer) are logged and skipped: locking everyone out would be worse
   * than letting the attempt go on to the master's own checks.
   */
  private async each<T>(
    attempt: Attempt,
    what: string,
    action: (counter: Counter, key: string) => Promise<T>,
    applies: (counter: Counter) => boolean = () => true,
  ): Promise<[Counter, T | undefined][]> {
    const keys: AttemptKeys = { ip: addressKey(attempt.ip), user: attempt.user === undefined ? undefined : userKey(attempt.user) };
    return Promise.all(
      this.counters.filter(applies).map(async (counter): Promise<[Counter, T | undefined]> => {
        const key = counter.key(keys);
        if (key === undefined) return [counter, undefined];
        try {
          return [counter, await action(counter, key)];
        } catch (error) {
          this.log.error(`auth_throttle: cannot ${what} failed authentications; going on without`, { error: String(error) });
          return [counter, undefined];
        }
      }),
    );
  }
}
