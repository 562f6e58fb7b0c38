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

/** bigint and byte values from msgpack-shaped chunks, as JSON can carry them. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

/** Text JSON writes as it is: printable ASCII but `"` and `\` (most user names, ids and addresses). */
const PLAIN_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A field as JSON: absent is null; a chunk's values come from a request body and may hold bigints or bytes. */
function json(value: unknown): string {
  if (typeof value === 'string') return PLAIN_TEXT.test(value) ? `"${value}"` : JSON.stringify(value);
  return value === undefined ? 'null' : JSON.stringify(value, jsonSafe);
}

export class AuditLog implements Auditor {
  private readonly sink: Sink;
  /** The second of the last line, and its date and time of day as text: the lines of one second share it. */
  private secondMs = NaN;
  private secondText = '';

  /** Opens (creates, mode 0640) the file now, so an unwritable one stops start-up. */
  constructor(
    file: string,
    private readonly withArgs: boolean,
  ) {
    this.sink = new Sink(file);
  }

  // A line per login and per command: built as text, what JSON.stringify gives for the object
  // (same keys, same order), at a fraction of the cost of building the object and walking it.
  login(entry: LoginAudit): void {
    this.sink.write(
      `{${this.head(entry, 'login')},"endpoint":${json(entry.endpoint)},"user":${json(entry.user)},"eauth":${json(entry.eauth)}${this.tail(entry)}}\n`,
    );
  }

  command(entry: CommandAudit): void {
    const { chunk, jids } = entry;
    const local = typeof chunk.client === 'string' && chunk.client.startsWith('local');
    const args = this.withArgs ? `,"arg":${json(chunk.arg)},"kwarg":${json(chunk.kwarg)}` : '';
    this.sink.write(
      `{${this.head(entry, 'command')},"user":${json(entry.user)},"eauth":${json(entry.eauth)},"netapi_client":${json(chunk.client)},` +
        `"fun":${json(chunk.fun)},"tgt":${json(chunk.tgt)},"tgt_type":${json(chunk.tgt_type ?? (local ? 'glob' : null))},` +
        `"jid":${json(jids.at(-1))}${jids.length > 1 ? `,"jids":${json(jids)}` : ''}${args}${this.tail(entry)}}\n`,
    );
  }

  private head(entry: LoginAudit | CommandAudit, type: string): string {
    return `"time":"${this.now()}","type":"${type}","request_id":${json(entry.request.requestId)},"client":${json(entry.request.client)}`;
  }

  /** The time as toISOString() gives it, formatted once per second: a line costs a few digits. */
  private now(): string {
    const ms = Date.now();
    const millis = ms % 1000;
    if (ms - millis !== this.secondMs) {
      this.secondMs = ms - millis;
      // Everything up to the milliseconds and their `Z` (which stay 4 characters in any year).
      this.secondText = new Date(this.secondMs).toISOString().slice(0, -4);
    }
    return `${this.secondText}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
  }

  private tail({ outcome, durationMs }: LoginAudit | CommandAudit): string {
    return `,"status":"${outcome.status}"${outcome.error === undefined ? '' : `,"error":${json(outcome.error)}`},"duration_ms":${durationMs}`;
  }

  reopen(): void {
    this.sink.reopen();
  }

}
