/**
 * `audit_log_file`: one JSON line per login and per command (README "Audit trail"). Written
 * through the log files' Sink (src/log.ts): created 0640, appended asynchronously off the
 * request's path, reopened on SIGHUP. Whole lines go to the kernel in one write() call on an
 * O_APPEND descriptor, which Linux completes whole for a regular file, so the lines of several
 * workers sharing the file never interleave.
 *
 * The lines of one turn of the event loop are built together at its end (each with the moment it
 * was logged): under load a turn finishes many logins, and building their lines in one go, after
 * their answers are written, cost a loaded API about a microsecond less per login than building
 * each in the middle of its request. The sink drains held lines before any flush, at exit and
 * before a reopen, so none is lost or lands in a file opened after it was logged. What a caller
 * reports must therefore not change until the end of the turn (none of them touches it again).
 *
 * Nothing secret is copied: no password, token or other credential field of a chunk, and its
 * `arg`/`kwarg` only with `audit_log_args` (they can hold passwords of their own).
 */
import { Sink, type LineSource } from '../log.js';
import type { Auditor, CommandAudit, LoginAudit } from './auditor.js';

/** bigint and byte values from msgpack-shaped chunks, as JSON can carry them. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

/** Text JSON writes as it is: printable ASCII but `"` and `\` (most user names, ids and addresses). */
const PLAIN_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** What a value JSON cannot hold (a cycle) is logged as, so that its line is still written. */
const UNSERIALIZABLE = '"[unserializable]"';

/** A field as JSON: absent is null; a chunk's values come from a request body and may hold bigints or bytes. */
function json(value: unknown): string {
  if (typeof value === 'string') return PLAIN_TEXT.test(value) ? `"${value}"` : JSON.stringify(value);
  if (value === undefined) return 'null';
  try {
    return JSON.stringify(value, jsonSafe);
  } catch {
    return UNSERIALIZABLE;
  }
}

/** A line reported during this turn of the event loop, with the moment it was reported. */
type HeldLine = { type: 'login'; entry: LoginAudit; ms: number } | { type: 'command'; entry: CommandAudit; ms: number };

export class AuditLog implements Auditor, LineSource {
  private readonly sink: Sink;
  /** The second of the last line, and its date and time of day as text: the lines of one second share it. */
  private secondMs = NaN;
  private secondText = '';
  private readonly held: HeldLine[] = [];
  private readonly drainAtEndOfTurn = () => this.sink.drainSource();

  /** Opens (creates, mode 0640) the file now, so an unwritable one stops start-up. */
  constructor(
    file: string,
    private readonly withArgs: boolean,
  ) {
    this.sink = new Sink(file);
    this.sink.attach(this);
  }

  login(entry: LoginAudit): void {
    this.hold({ type: 'login', entry, ms: Date.now() });
  }

  command(entry: CommandAudit): void {
    this.hold({ type: 'command', entry, ms: Date.now() });
  }

  private hold(line: HeldLine): void {
    if (this.held.push(line) > 1) return;
    this.sink.holds();
    setImmediate(this.drainAtEndOfTurn);
  }

  /** The held lines, built and handed to the sink (which calls this: see Sink.holds()). */
  drain(): void {
    const { held } = this;
    for (const line of held) this.sink.write(line.type === 'login' ? this.loginLine(line.entry, line.ms) : this.commandLine(line.entry, line.ms));
    held.length = 0;
  }

  // A line per login and per command: built as text, what JSON.stringify gives for the object
  // (same keys, same order), at a fraction of the cost of building the object and walking it.
  private loginLine(entry: LoginAudit, ms: number): string {
    return `{${this.head(entry, 'login', ms)},"endpoint":${json(entry.endpoint)},"user":${json(entry.user)},"eauth":${json(entry.eauth)}${this.tail(entry)}}\n`;
  }

  private commandLine(entry: CommandAudit, ms: number): string {
    const { chunk, jids } = entry;
    const local = typeof chunk.client === 'string' && chunk.client.startsWith('local');
    const args = this.withArgs ? `,"arg":${json(chunk.arg)},"kwarg":${json(chunk.kwarg)}` : '';
    return (
      `{${this.head(entry, 'command', ms)},"user":${json(entry.user)},"eauth":${json(entry.eauth)},"netapi_client":${json(chunk.client)},` +
      `"fun":${json(chunk.fun)},"tgt":${json(chunk.tgt)},"tgt_type":${json(chunk.tgt_type ?? (local ? 'glob' : null))},` +
      `"jid":${json(jids.at(-1))}${jids.length > 1 ? `,"jids":${json(jids)}` : ''}${args}${this.tail(entry)}}\n`
    );
  }

  private head(entry: LoginAudit | CommandAudit, type: string, ms: number): string {
    return `"time":"${this.time(ms)}","type":"${type}","request_id":${json(entry.request.requestId)},"client":${json(entry.request.client)}`;
  }

  /** `ms` as toISOString() gives it, formatted once per second: a line costs a few digits. */
  private time(ms: number): string {
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
