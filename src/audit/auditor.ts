/**
 * The audit seam: what the netapi dispatcher (src/salt/netapi.ts) and the login routes report
 * about each login and each command, for `audit_log_file` (src/audit/auditLog.ts) to write.
 */
import { isApiError } from '../errors.js';
import type { LowstateChunk } from '../salt/types.js';

/**
 * How it ended: `success` (the master did it, or accepted the login); `failure` (credentials or
 * permissions refused: a 401/403 answer); `throttled` (429 from auth_throttle, the master not
 * asked); `error` (anything else: a bad chunk, the master unavailable or timing out).
 */
export type AuditStatus = 'success' | 'failure' | 'throttled' | 'error';

/** Who asked, as the HTTP side knows it. */
export interface AuditRequest {
  requestId: string;
  /** The client's address, through trusted_proxies. */
  client: string;
}

export interface AuditOutcome {
  status: AuditStatus;
  /** The named error code (src/errors.ts) when it did not succeed. */
  error?: string;
}

interface Audited {
  request: AuditRequest;
  /** The user and eauth backend: the master's token record once confirmed, else what the client claimed. */
  user: string | null;
  eauth: string | null;
  outcome: AuditOutcome;
  durationMs: number;
}

export interface LoginAudit extends Audited {
  /** The route the credentials came to: `/login` or `/token`. */
  endpoint: string;
}

export interface CommandAudit extends Audited {
  chunk: LowstateChunk;
  /** The jobs the chunk started, in order (none for a refused chunk). */
  jids: string[];
}

export interface Auditor {
  login(entry: LoginAudit): void;
  command(entry: CommandAudit): void;
}

/** The outcomes that carry nothing else, shared: they are reported on every request. */
export const SUCCEEDED: AuditOutcome = Object.freeze({ status: 'success' });
const REFUSED: AuditOutcome = Object.freeze({ status: 'failure' });

/** Milliseconds since `started` (a performance.now() reading), to a tenth. */
export const elapsedMs = (started: number): number => Math.round((performance.now() - started) * 10) / 10;

/**
 * A login attempt (`attempt` resolves to the new token, or undefined when refused), reported to
 * `auditor` however it ends; its result or error is passed on unchanged. Not an async function:
 * this runs for every login, and chaining on the attempt's own promise saves a promise and the
 * microtask turns of an async wrapper.
 */
export function auditedLogin<T>(
  auditor: Auditor | undefined,
  what: { request: AuditRequest; endpoint: string; user: string; eauth: string },
  attempt: () => Promise<T | undefined>,
): Promise<T | undefined> {
  if (!auditor) return attempt();
  const started = performance.now();
  // A literal of fixed shape, not a spread.
  const report = (outcome: AuditOutcome) =>
    auditor.login({ request: what.request, endpoint: what.endpoint, user: what.user, eauth: what.eauth, outcome, durationMs: elapsedMs(started) });
  // An attempt that throws instead of rejecting is still reported (as the async wrapper did).
  let pending: Promise<T | undefined>;
  try {
    pending = attempt();
  } catch (error) {
    pending = Promise.reject(error);
  }
  return pending.then(
    (token) => {
      report(token === undefined ? REFUSED : SUCCEEDED);
      return token;
    },
    (error: unknown) => {
      report(outcomeOf(error));
      throw error;
    },
  );
}

/** The outcome a thrown error stands for. */
export function outcomeOf(error: unknown): AuditOutcome {
  if (!isApiError(error)) return { status: 'error', error: 'UNEXPECTED' };
  if (error.status === 429) return { status: 'throttled', error: error.code };
  if (error.status === 401 || error.status === 403) return { status: 'failure', error: error.code };
  return { status: 'error', error: error.code };
}
