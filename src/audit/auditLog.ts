/**
 * `audit_log_file`: one JSON line per login and per command (README "Audit trail"). Written
 * through the log files' Sink (src/log.ts): created 0640, appended asynchronously off the
 * request's path, reopened on SIGHUP. Whole lines go to the kernel in one write() call on an
 * O_APPEND descriptor, which Linux completes whole for a regular file, so the lines of several
 * workers sharing the file never interleave.
 *
 * Nothing secret is copied: no password, token or other credential field of a chunk, and its
 * `arg`/`kwarg` only with `audit_log_args` (they can hold passwords of their own).
 */
import { Sink } from '../log.js';
import type { Auditor, CommandAudit, LoginAudit } from './auditor.js';
import type { SaltValue } from '../salt/types.js';

/** Chunk fields that name what ran and where; all else in a chunk is left out. */
const WHAT = ['client', 'fun', 'tgt', 'tgt_type'] as const;

/** bigint and byte values from msgpack-shaped chunks, as JSON can carry them. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

export class AuditLog implements Auditor {
  private readonly sink: Sink;

  /** Opens (creates, mode 0640) the file now, so an unwritable one stops start-up. */
  constructor(
    file: string,
    private readonly withArgs: boolean,
  ) {
    this.sink = new Sink(file);
  }

  login(entry: LoginAudit): void {
    this.write({
      time: new Date().toISOString(),
      type: 'login',
      request_id: entry.request.requestId,
      client: entry.request.client,
      endpoint: entry.endpoint,
      user: entry.user,
      eauth: entry.eauth,
      status: entry.outcome.status,
      ...(entry.outcome.error === undefined ? {} : { error: entry.outcome.error }),
      duration_ms: entry.durationMs,
    });
  }

  command(entry: CommandAudit): void {
    const { chunk } = entry;
    const what: Record<string, SaltValue | null> = {};
    for (const field of WHAT) what[field] = chunk[field] ?? null;
    if (what.tgt_type === null && typeof chunk.client === 'string' && chunk.client.startsWith('local')) what.tgt_type = 'glob';
    this.write({
      time: new Date().toISOString(),
      type: 'command',
      request_id: entry.request.requestId,
      client: entry.request.client,
      user: entry.user,
      eauth: entry.eauth,
      netapi_client: what.client,
      fun: what.fun,
      tgt: what.tgt,
      tgt_type: what.tgt_type,
      jid: entry.jids.at(-1) ?? null,
      ...(entry.jids.length > 1 ? { jids: entry.jids } : {}),
      ...(this.withArgs ? { arg: chunk.arg ?? null, kwarg: chunk.kwarg ?? null } : {}),
      status: entry.outcome.status,
      ...(entry.outcome.error === undefined ? {} : { error: entry.outcome.error }),
      duration_ms: entry.durationMs,
    });
  }

  reopen(): void {
    this.sink.reopen();
  }

  private write(line: Record<string, unknown>): void {
    this.sink.write(`${JSON.stringify(line, jsonSafe)}\n`);
  }
}
