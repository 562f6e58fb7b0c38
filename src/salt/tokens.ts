/**
 * Token checks against the master. The token handed out by /login is the master's own eauth
 * token, so any number of API processes accept it with no shared state. A validated token is
 * trusted for a few seconds to spare the master a round trip per request, never past its expire.
 */
import { createHash } from 'node:crypto';
import type { Attempt, CredentialGuard } from '../auth/throttle.js';
import { Errors, isApiError } from '../errors.js';
import type { MasterClient } from './master.js';
import type { SaltMap, SaltToken } from './types.js';

/** Lowercase hex of a digest between md5 and sha512 in size (the master's `hash_type`). */
const TOKEN_FORMAT = /^[0-9a-f]{32,128}$/;
const CACHE_MAX = 10_000;
/** What a full cache is cut down to. */
const CACHE_KEEP = (CACHE_MAX * 3) / 4;
/** A minted token is reused for the same credentials until this close to its expiry. */
const MINT_MARGIN_S = 60;

/** Revocations older than their token's expire are swept; beyond this many, the oldest go first. */
const REVOKED_MAX = 100_000;
/** A revocation notice from the bus is kept no longer than this, whatever expire it names. */
const REVOKE_MAX_S = 30 * 24 * 3600;

/** What identifies a token in a revocation: its SHA-256, so the token itself never travels. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** `session`: tokens presented to the API; `credentials`: tokens minted for eauth credentials in chunks. */
export type TokenCache = 'session' | 'credentials';

/**
 * `failure`: the master refused the credentials; `throttled`: auth_throttle refused them before
 * the master was asked; `error`: the master could not be asked (down, timeout).
 */
export type LoginOutcome = 'success' | 'failure' | 'throttled' | 'error';

/** Told of cache lookups and logins (for /metrics). */
export interface TokenObserver {
  cacheLookup(cache: TokenCache, hit: boolean): void;
  /** `eauth` as the client sent it: bound it before using it as a label. */
  login(eauth: unknown, outcome: LoginOutcome): void;
}

const UNOBSERVED: TokenObserver = { cacheLookup() {}, login() {} };

interface Cached {
  record: SaltToken;
  until: number;
}

export function isWellFormedToken(token: unknown): token is string {
  return typeof token === 'string' && TOKEN_FORMAT.test(token);
}

export class TokenAuthority {
  private readonly valid = new Map<string, Cached>();
  private readonly inflight = new Map<string, Promise<SaltToken | undefined>>();
  /** Token digests refused until the given epoch second (their token's expire). */
  private readonly revoked = new Map<string, number>();
  private readonly minted = new Map<string, SaltToken>();

  private readonly guard?: CredentialGuard;
  private readonly observer: TokenObserver;

  /**
   * `guard` (auth_throttle) is asked before credentials a client presents go to the master, when
   * the caller says who presents them (`from`, the client address); `observer` (/metrics) hears
   * of cache lookups and logins.
   */
  constructor(
    private readonly master: MasterClient,
    private readonly ttlMs: number,
    { guard, observer = UNOBSERVED }: { guard?: CredentialGuard; observer?: TokenObserver } = {},
  ) {
    this.guard = guard;
    this.observer = observer;
  }

  /**
   * What auth_throttle has to say before `attempt`'s credentials go to the master: nothing to
   * wait for (undefined) unless a failure was counted lately. The checks around a master call are
   * inline awaits of these, not an async wrapper: a login then costs no promise of the guard's.
   */
  private admit(attempt: Attempt | undefined): Promise<void> | undefined {
    return attempt && this.guard?.admit(attempt);
  }

  /** The master's verdict on `attempt`, counted (refused) or clearing a count (accepted); undefined when there is nothing to wait for. */
  private settle(attempt: Attempt | undefined, accepted: boolean): Promise<void> | undefined {
    if (!attempt || !this.guard) return undefined;
    return accepted ? this.guard.accepted(attempt) : this.guard.refused(attempt);
  }

  /**
   * The token's record when the master confirms it and this process has not revoked it. With
   * `from`, a token the master is asked about counts as an attempt of that client (auth_throttle).
   */
  async validate(token: unknown, from?: string): Promise<SaltToken | undefined> {
    if (!isWellFormedToken(token)) return undefined;
    const now = Date.now();
    if (this.isRevoked(token, now)) return undefined;
    const cached = this.valid.get(token);
    const hit = cached !== undefined && cached.until > now;
    this.observer.cacheLookup('session', hit);
    if (hit) return cached.record;
    if (cached) this.valid.delete(token);
    const attempt = from === undefined ? undefined : { ip: from };
    const admitting = this.admit(attempt);
    if (admitting) await admitting;
    // No verdict (the master unavailable: lookup() throws) counts neither way.
    const record = await this.lookup(token);
    const settling = this.settle(attempt, record !== undefined);
    if (settling) await settling;
    if (!record || this.isRevoked(token, Date.now())) return undefined;
    this.remember(record);
    return record;
  }

  /** The master's record of `token`; concurrent checks of one token share one request. */
  private lookup(token: string): Promise<SaltToken | undefined> {
    let pending = this.inflight.get(token);
    if (!pending) {
      pending = this.master.getToken(token).finally(() => this.inflight.delete(token));
      this.inflight.set(token, pending);
    }
    return pending;
  }

  /** Log in with eauth credentials (the master's `mk_token`); `from` as for validate(). */
  async login(credentials: SaltMap, from?: string): Promise<SaltToken | undefined> {
    const attempt = from === undefined ? undefined : { ip: from, user: typeof credentials.username === 'string' ? credentials.username : '' };
    let record: SaltToken | undefined;
    try {
      const admitting = this.admit(attempt);
      if (admitting) await admitting;
      record = await this.master.mkToken(credentials);
      const settling = this.settle(attempt, record !== undefined);
      if (settling) await settling;
    } catch (error) {
      this.observer.login(credentials.eauth, isApiError(error) && error.code === Errors.TooManyAttempts.code ? 'throttled' : 'error');
      throw error;
    }
    this.observer.login(credentials.eauth, record ? 'success' : 'failure');
    if (record) this.remember(record);
    return record;
  }

  /**
   * Trade eauth credentials for a token so no password travels further (security.md). The same
   * credentials reuse one token until shortly before it expires instead of filling the master's
   * token store with one token per request.
   */
  async tokenFor(credentials: { eauth: string; username: string; password: string }, from?: string): Promise<SaltToken | undefined> {
    const key = createHash('sha256')
      .update(`${credentials.eauth}\0${credentials.username}\0${credentials.password}`)
      .digest('hex');
    const known = this.minted.get(key);
    const hit = known !== undefined && known.expire - MINT_MARGIN_S > Date.now() / 1000 && !this.isRevoked(known.token, Date.now());
    this.observer.cacheLookup('credentials', hit);
    if (hit) return known;
    const record = await this.login({ ...credentials }, from);
    if (!record) return undefined;
    if (this.minted.size >= CACHE_MAX) this.minted.clear();
    this.minted.set(key, record);
    return record;
  }

  /** Refuse this token in this process until it expires, whatever the master says. */
  revoke(record: SaltToken): void {
    this.valid.delete(record.token);
    this.revokeDigest(tokenDigest(record.token), record.expire);
    for (const [key, minted] of this.minted) if (minted.token === record.token) this.minted.delete(key);
  }

  /**
   * Refuse the token with this digest until `expire` (another API process logged it out). The
   * notice comes from the bus, where anyone who may fire events can write: it is bounded in time
   * and in number, and only ever refuses a token.
   */
  revokeDigest(digest: string, expire: number): void {
    const now = Date.now();
    if (this.revoked.size >= REVOKED_MAX) this.sweepRevoked(now);
    this.revoked.delete(digest);
    this.revoked.set(digest, Math.min(expire, now / 1000 + REVOKE_MAX_S));
    for (const [token] of this.valid) if (tokenDigest(token) === digest) this.valid.delete(token);
  }

  private isRevoked(token: string, now: number): boolean {
    if (this.revoked.size === 0) return false;
    const digest = tokenDigest(token);
    const until = this.revoked.get(digest);
    if (until === undefined) return false;
    if (until * 1000 > now) return true;
    this.revoked.delete(digest);
    return false;
  }

  /** Drop lapsed revocations, then the oldest down to three quarters of the cap. */
  private sweepRevoked(now: number): void {
    for (const [digest, until] of this.revoked) if (until * 1000 <= now) this.revoked.delete(digest);
    for (const digest of this.revoked.keys()) {
      if (this.revoked.size <= (REVOKED_MAX * 3) / 4) break;
      this.revoked.delete(digest);
    }
  }

  private remember(record: SaltToken): void {
    const now = Date.now();
    if (this.valid.size >= CACHE_MAX) this.makeRoom(now);
    this.valid.set(record.token, { record, until: Math.min(now + this.ttlMs, record.expire * 1000) });
  }

  /**
   * Drop lapsed entries, then the oldest live ones down to three quarters of the cap, so a stream
   * of logins pays for one sweep per few thousand insertions rather than a scan on each.
   */
  private makeRoom(now: number): void {
    for (const [token, cached] of this.valid) if (cached.until <= now) this.valid.delete(token);
    for (const token of this.valid.keys()) {
      if (this.valid.size <= CACHE_KEEP) break;
      this.valid.delete(token);
    }
  }
}
