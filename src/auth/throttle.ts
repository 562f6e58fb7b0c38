/**
 * `auth_throttle`: brute-force protection for every place credentials are checked by the master
 * (passwords on /login, /token, /run and in lowstate; tokens that are not in the cache). Each
 * attempt is counted before the master is asked, so a flood of concurrent guesses is cut off as
 * surely as a sequential one, and given back when the master says yes: only failures remain.
 *
 * Three counters (README "Brute-force protection"): per client address, per user name and
 * address, and a higher one per user name from all addresses. A success clears the user+address
 * counter only: a valid account of the attacker's own must not wipe its address's record.
 * Past a limit the client gets 429 with Retry-After, and the master never sees the attempt.
 *
 * With `workers: N` the counters live in the cluster primary (rate-limiter-flexible's
 * RateLimiterCluster, over node:cluster IPC), so the limits hold for the whole server.
 */
import cluster from 'node:cluster';
import { createHash } from 'node:crypto';
import { RateLimiterCluster, RateLimiterClusterMaster, RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AuthThrottleOptions } from '../config/types.js';
import { Errors } from '../errors.js';
import type { Logger } from '../log.js';

/** Who tries to authenticate: the client address and, for passwords, the user name it claims. */
export interface Attempt {
  ip: string;
  user?: string;
}

/** What the token authority asks around each master check of credentials. */
export interface CredentialGuard {
  /** Count the attempt; throws Errors.TooManyAttempts when a limit is already reached. */
  admit(attempt: Attempt): Promise<void>;
  /** The master accepted the credentials: the attempt is given back. */
  accepted(attempt: Attempt): Promise<void>;
  /** The master gave no verdict (unavailable, timed out): the attempt is given back, nothing cleared. */
  undecided(attempt: Attempt): Promise<void>;
}

/** How long a primary waits for its worker's counters (IPC) before letting an attempt through. */
const CLUSTER_TIMEOUT_MS = 2000;

interface Counter {
  limiter: RateLimiterAbstract;
  key(attempt: Attempt): string | undefined;
  /** Whether a success clears this counter (true) or only gives its attempt back. */
  clearOnSuccess: boolean;
}

/** User names are client text of any length: the counters key on a digest. */
const userKey = (user: string) => createHash('sha256').update(user).digest('base64');

/** In a cluster primary: the counters the workers' RateLimiterCluster instances talk to. */
export function serveClusterCounters(): void {
  new RateLimiterClusterMaster();
}

export class AuthThrottle implements CredentialGuard {
  private readonly counters: Counter[];

  constructor(
    options: AuthThrottleOptions,
    private readonly log: Logger,
  ) {
    const limiter = (name: string, points: number): RateLimiterAbstract => {
      const shape = { keyPrefix: `auth-throttle-${name}`, points, duration: options.window, blockDuration: options.block };
      return cluster.isWorker ? new RateLimiterCluster({ ...shape, timeoutMs: CLUSTER_TIMEOUT_MS }) : new RateLimiterMemory(shape);
    };
    this.counters = [
      { limiter: limiter('ip', options.max_failures_per_ip), key: ({ ip }) => ip, clearOnSuccess: false },
      {
        limiter: limiter('user-ip', options.max_failures_per_user_ip),
        key: ({ ip, user }) => (user === undefined ? undefined : `${userKey(user)} ${ip}`),
        clearOnSuccess: true,
      },
    ];
    if (options.max_failures_per_user > 0) {
      this.counters.push({
        limiter: limiter('user', options.max_failures_per_user),
        key: ({ user }) => (user === undefined ? undefined : userKey(user)),
        clearOnSuccess: false,
      });
    }
  }

  async admit(attempt: Attempt): Promise<void> {
    // One counter at a time: an address already refused does not add to its user counters.
    for (const { limiter, key } of this.counters) {
      const name = key(attempt);
      if (name === undefined) continue;
      try {
        await limiter.consume(name);
      } catch (refusal) {
        if (refusal instanceof RateLimiterRes) throw Errors.TooManyAttempts(Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)));
        // The counters are unreachable (a primary that does not answer): locking everyone out
        // would be worse than letting this attempt through to the master's own checks.
        this.log.error('auth_throttle: failed authentications cannot be counted; attempt let through', { error: String(refusal) });
        return;
      }
    }
  }

  accepted(attempt: Attempt): Promise<void> {
    return this.giveBack(attempt, true);
  }

  undecided(attempt: Attempt): Promise<void> {
    return this.giveBack(attempt, false);
  }

  private async giveBack(attempt: Attempt, success: boolean): Promise<void> {
    await Promise.all(
      this.counters.map(async ({ limiter, key, clearOnSuccess }) => {
        const name = key(attempt);
        if (name === undefined) return;
        try {
          if (success && clearOnSuccess) {
            await limiter.delete(name);
            return;
          }
          // A counter that lapsed while the master answered must not go below zero: credit
          // would let later failures through uncounted.
          const left = await limiter.reward(name);
          if (left.consumedPoints < 0) await limiter.delete(name);
        } catch (error) {
          this.log.error('auth_throttle: a successful authentication cannot be given back', { error: String(error) });
        }
      }),
    );
  }
}
