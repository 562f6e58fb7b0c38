/**
 * The netapi gatekeeper (netapi-clients.md §1): checks a chunk's client, that it is enabled,
 * that it carries credentials the master confirms, then dispatches it. Every client, async
 * ones included, needs a token the master knows or eauth credentials it accepts, before anything
 * runs (CVE-2020-25592, CVE-2021-25281). eauth credentials are traded for a token first, so no
 * password ever reaches a publish load (security.md).
 */
import { Errors } from '../errors.js';
import { functionPermitted, userAcl } from './acl.js';
import type { ClientFunction, SaltContext } from './context.js';
import { truthy } from './fields.js';
import { isMap } from './master.js';
import { pythonStr } from './pythonRepr.js';
import { isWellFormedToken } from './tokens.js';
import { CLIENT_NAMES, type ClientName, type Lowstate, type LowstateChunk, type SaltToken, type SaltValue } from './types.js';
import { local, localAsync } from './clients/local.js';
import { localBatch } from './clients/batch.js';
import { localSubset } from './clients/subset.js';
import { runner, runnerAsync } from './clients/runner.js';
import { wheel, wheelAsync } from './clients/wheel.js';
import { ssh } from './clients/ssh.js';
import { SUCCEEDED, elapsedMs, outcomeOf, type AuditOutcome, type Auditor } from '../audit/auditor.js';

/**
 * Who runs a lowstate: the session the request already confirmed (its chunks carrying that token
 * are not confirmed again), and whether `api_acl` lets a user in from the caller's address.
 */
export interface Caller {
  session?: SaltToken;
  admits(username: string): boolean;
  /** The client's address (through trusted_proxies): what failed credentials count against. */
  client: string;
  /** The request's X-Request-Id, for the audit trail. */
  requestId: string;
}

export type JobOutcome = 'ok' | 'error';

/** Told of every chunk run with confirmed credentials (for /metrics). */
export interface JobObserver {
  job(client: ClientName, outcome: JobOutcome): void;
}

const UNOBSERVED: JobObserver = { job() {} };

const CLIENTS: Record<ClientName, ClientFunction> = {
  local,
  local_async: localAsync,
  local_batch: localBatch,
  local_subset: localSubset,
  runner,
  runner_async: runnerAsync,
  ssh,
  wheel,
  wheel_async: wheelAsync,
};

const isClientName = (value: SaltValue | undefined): value is ClientName =>
  typeof value === 'string' && (CLIENT_NAMES as readonly string[]).includes(value);

/** Publishing clients report auth failures as the master's publish does; runner/wheel as theirs. */
const publishes = (client: ClientName) => client.startsWith('local') || client === 'ssh';

/** What a chunk's run revealed, for its audit line: the confirmed token and the jobs started. */
interface Seen {
  token?: SaltToken;
  jids: string[];
}

const claimed = (value: SaltValue | undefined): string | null => (typeof value === 'string' ? value : null);

export class NetapiClient {
  private readonly enabled: Set<string>;

  private readonly auditor?: Auditor;
  private readonly observer: JobObserver;

  /** `auditor` hears of every chunk that gets as far as the master (audit_log_file), `observer` of every job run (/metrics). */
  constructor(
    private readonly salt: SaltContext,
    { auditor, observer = UNOBSERVED }: { auditor?: Auditor; observer?: JobObserver } = {},
  ) {
    this.enabled = new Set(salt.settings.netapi_enable_clients);
    this.auditor = auditor;
    this.observer = observer;
  }

  /** Run the chunks in order; the first failure aborts the request. */
  async run(lowstate: Lowstate, caller: Caller): Promise<SaltValue[]> {
    const results: SaltValue[] = [];
    for (const chunk of lowstate) results.push(...(await this.runChunk(chunk, caller)));
    return results;
  }

  async runChunk(chunk: LowstateChunk, caller: Caller): Promise<SaltValue[]> {
    if (!isMap(chunk)) throw Errors.InvalidField('lowstate', 'a list of mappings');
    const client = chunk.client;
    if (!isClientName(client)) throw Errors.InvalidClient(pythonStr(client));
    if (!this.enabled.has(client)) throw Errors.ClientDisabled(client);
    if (!('token' in chunk) && !('eauth' in chunk)) throw Errors.NoCredentials();
    if (truthy(chunk.raw_shell) && !this.salt.settings.netapi_allow_raw_shell) throw Errors.RawShellRefused();
    // From here on the master is involved: every chunk is audited, whatever becomes of it.
    const { auditor } = this;
    if (!auditor) return this.dispatch(chunk, client, caller, {});
    const started = performance.now();
    const seen: Seen = { jids: [] };
    const report = (outcome: AuditOutcome) =>
      auditor.command({
        request: caller,
        chunk,
        jids: seen.jids,
        user: seen.token?.name ?? claimed(chunk.username),
        eauth: seen.token?.eauth ?? claimed(chunk.eauth),
        outcome,
        durationMs: elapsedMs(started),
      });
    try {
      const results = await this.dispatch(chunk, client, caller, seen);
      // Async clients answer with the jid rather than reporting a job they wait for.
      if (seen.jids.length === 0) for (const result of results) if (isMap(result) && typeof result.jid === 'string') seen.jids.push(result.jid);
      report(SUCCEEDED);
      return results;
    } catch (error) {
      report(outcomeOf(error));
      throw error;
    }
  }

  private async dispatch(chunk: LowstateChunk, client: ClientName, caller: Caller, seen: Partial<Seen>): Promise<SaltValue[]> {
    const { session } = caller;
    const token = session !== undefined && chunk.token === session.token ? session : await this.confirm(chunk, client, caller);
    seen.token = token;
    if (publishes(client)) this.checkEveryFunction(chunk, token);
    const { eauth: _eauth, username: _username, password: _password, ...rest } = chunk;
    const onJob = seen.jids ? (jid: string) => seen.jids?.push(jid) : undefined;
    try {
      const results = await CLIENTS[client]({ chunk: { ...rest, token: token.token }, token, onJob }, this.salt);
      this.observer.job(client, 'ok');
      return results;
    } catch (error) {
      this.observer.job(client, 'error');
      throw error;
    }
  }

  /**
   * The token record for the chunk's credentials, or the 401 the master would have answered. A
   * user `api_acl` keeps out of the caller's address is refused the same way, before the master
   * is asked to mint anything.
   */
  private async confirm(chunk: LowstateChunk, client: ClientName, caller: Caller): Promise<SaltToken> {
    if ('token' in chunk) {
      if (!isWellFormedToken(chunk.token)) throw Errors.InvalidToken();
      const record = await this.salt.tokens.validate(chunk.token, caller.client);
      if (record && caller.admits(record.name)) return record;
      throw publishes(client) ? Errors.Authentication() : Errors.MasterAuth('Authentication failure of type "token" occurred.');
    }
    const { eauth, username, password } = chunk;
    const refused = () =>
      publishes(client)
        ? Errors.Authentication()
        : Errors.MasterAuth(`Authentication failure of type "eauth" occurred for user ${pythonStr(username)}.`);
    if (typeof eauth !== 'string' || typeof username !== 'string' || typeof password !== 'string') throw refused();
    if (!caller.admits(username)) throw refused();
    const record = await this.salt.tokens.tokenFor({ eauth, username, password }, caller.client);
    if (!record) throw refused();
    return record;
  }

  /**
   * The master allows a multi-function job when any one function is allowed (security.md,
   * compound ACL); refuse unless every function is permitted by the user's `external_auth`.
   */
  private checkEveryFunction(chunk: LowstateChunk, token: SaltToken): void {
    if (!Array.isArray(chunk.fun)) return;
    const acl = userAcl(this.salt.settings.external_auth, token);
    for (const fun of chunk.fun) {
      if (typeof fun !== 'string' || !functionPermitted(acl, fun)) throw Errors.Authorization();
    }
  }
}
