/**
 * A small leveled logger: one line per message, `<ISO time> [<LEVEL>] <message> {json fields}`,
 * to stderr or appended to a file (mode 0640 when created; written asynchronously, see Sink).
 * Level names are Salt's (`warn` is accepted for `warning`).
 */
import { close, openSync, write, writeSync } from 'node:fs';
import { CHUNK_BYTES, LineBuffer } from './lineBuffer.js';

export type LogLevel = 'error' | 'warning' | 'info' | 'debug' | 'trace';
export type LogFields = Record<string, unknown>;

export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warning', 'info', 'debug', 'trace'];

export interface Logger {
  readonly level: LogLevel;
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  trace(message: string, fields?: LogFields): void;
  /** A logger with the same destination and level that adds `fields` to every line. */
  child(fields: LogFields): Logger;
  /** Reopen the log file, e.g. on SIGHUP after logrotate moved it; nothing to do on stderr. */
  reopen(): void;
}

export interface LoggerOptions {
  level?: LogLevel | 'warn';
  /** Append to this file instead of writing to stderr. */
  file?: string;
}

export function parseLogLevel(name: string): LogLevel | undefined {
  const level = name.toLowerCase() === 'warn' ? 'warning' : name.toLowerCase();
  return LOG_LEVELS.find((known) => known === level);
}

function fieldsJson(fields: LogFields): string {
  // Shared references are rendered once too: a cheap guard against cycles, not a serializer.
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(fields, (_key, value: unknown) => {
      if (typeof value === 'bigint') return value.toString();
      if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
      if (typeof value === 'object' && value !== null) {
        if (seen.has(value)) return '[Circular]';
        seen.add(value);
      }
      return value;
    });
  } catch (error) {
    return JSON.stringify({ unserializable: String(error) });
  }
}

function formatLine(level: LogLevel, message: string, fields: LogFields): string {
  // Messages may carry client-supplied text: escaping line breaks keeps one line per message.
  const text = message.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
  const suffix = Object.keys(fields).length > 0 ? ` ${fieldsJson(fields)}` : '';
  return `${new Date().toISOString()} [${level.toUpperCase()}] ${text}${suffix}\n`;
}

/** Log files: read and write for their owner, read for its group (log readers), nothing for others. */
export const LOG_FILE_MODE = 0o640;

/** Bytes of lines a file sink holds while the disk is behind; past this, lines are dropped (and counted). */
const MAX_BACKLOG = 8 * 1024 * 1024;
/** The most room a sink keeps for a batch (see Sink.roomBytes): two such buffers at most per log file. */
const MAX_BATCH_ROOM = 1024 * 1024;

/** The file operations a sink uses: node:fs, or a stand-in in tests. */
export interface SinkIo {
  /** Synchronous, so an unwritable file fails at start-up (or at reopen), not on a later write. */
  open(file: string): number;
  write(fd: number, data: Buffer, done: (error: NodeJS.ErrnoException | null, written: number) => void): void;
  writeSync(fd: number, data: Buffer): number;
  close(fd: number): void;
}

const fileIo: SinkIo = {
  open: (file) => openSync(file, 'a', LOG_FILE_MODE),
  write: (fd, data, done) => write(fd, data, 0, data.length, null, done),
  writeSync: (fd, data) => writeSync(fd, data),
  close: (fd) => close(fd, () => undefined),
};

/**
 * What holds lines of its own back for a sink until the end of the event loop's turn (the audit
 * trail): `drain()` hands them all to the sink's write(), in order.
 */
export interface LineSource {
  drain(): void;
}

/** Lines bound for one file descriptor; `retire` closes it once they are written (after a reopen). */
interface Batch {
  fd: number;
  lines: LineBuffer;
  retire: boolean;
}

/** Sinks with lines not yet on disk: flushLogs() waits for them, and the exit hook writes them. */
const backlogged = new Set<Sink>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // process.exit() without flushLogs() first (a second signal, a crash): what is still queued
  // is written synchronously; nothing asynchronous runs after 'exit'.
  process.on('exit', () => {
    for (const sink of backlogged) sink.flushSync();
  });
}

/** Resolves once every line logged so far is written (graceful shutdown, before process.exit). */
export async function flushLogs(): Promise<void> {
  await Promise.all([...backlogged].map((sink) => sink.flush()));
}

/**
 * Lines are written at most this long after they are logged (flushLogs() and exit write them all).
 * Each write hands the lines to libuv's thread pool, whose wake-up costs the busy API a context
 * switch on a small machine: at 10 ms that was still about 1 µs per request of a login under load.
 */
const LINE_BATCH_MS = 50;

/**
 * Where lines go: a file opened for appending, or stderr. Also the access log's file
 * (src/accessLog.ts). File writes are asynchronous and batched, off the request's path: a line
 * is queued, the lines of the next {@link LINE_BATCH_MS} go to the kernel with it in one write,
 * and the lines logged while a write is under way go together in the next one. SIGHUP's reopen()
 * sends later lines to the new file while the old descriptor is closed only after its own lines
 * are written; flushLogs() waits for them all. A source attached to the sink (the audit trail)
 * may hold lines back until the end of the event loop's turn; see holds().
 */
export class Sink {
  private fd: number | undefined;
  private readonly queue: Batch[] = [];
  private inFlight: Batch | undefined;
  private queuedBytes = 0;
  private dropped = 0;
  private waiters: (() => void)[] = [];
  private pumpScheduled = false;
  /**
   * Room for a batch, reused: the buffer of the batch last written comes back as `spare` for the
   * next one, so under steady load two buffers take turns and no line lands in fresh memory.
   * It doubles (up to {@link MAX_BATCH_ROOM}) when a batch outgrows it, so that a batch fills one
   * buffer and goes to the kernel without being copied together first.
   */
  private roomBytes = CHUNK_BYTES;
  private spare: Buffer | undefined;
  /** What may hold lines for this sink (see holds()), and whether it holds some now. */
  private source: LineSource | undefined;
  private sourceHolds = false;

  constructor(
    private readonly file: string | undefined,
    private readonly io: SinkIo = fileIo,
    /** How long the first line of a batch waits for others; 0: until the end of the event loop's turn. */
    private readonly batchMs = LINE_BATCH_MS,
  ) {
    this.fd = file === undefined ? undefined : io.open(file);
  }

  write(line: string): void {
    if (this.fd === undefined) {
      process.stderr.write(line);
      return;
    }
    // The line's length stands in for its bytes, which are never fewer: counting them would mean
    // encoding it twice on every request.
    if (this.queuedBytes + line.length > MAX_BACKLOG) {
      // The disk is stalled: dropping lines beats holding up requests or growing without bound.
      this.dropped++;
      return;
    }
    if (this.dropped > 0) {
      const note = formatLine('error', `${this.dropped} log lines dropped: the log file fell ${MAX_BACKLOG} bytes behind`, {});
      this.dropped = 0;
      this.enqueue(note);
    }
    this.enqueue(line);
  }

  /** `source` holds lines for this sink from now on (it calls holds() when it starts to). */
  attach(source: LineSource): void {
    this.source = source;
  }

  /**
   * The attached source holds lines now: until they are drained, flushLogs() and the exit hook
   * come by this sink, and flushes and a reopen drain them first, so a held line is neither lost
   * nor sent to a file opened after it was logged.
   */
  holds(): void {
    this.sourceHolds = true;
    backlogged.add(this);
    installExitHook();
  }

  /** The attached source's held lines, handed to write() now. */
  drainSource(): void {
    if (!this.sourceHolds) return;
    this.sourceHolds = false;
    this.source?.drain();
  }

  private enqueue(text: string): void {
    const fd = this.fd as number;
    let last = this.queue.at(-1);
    if (!last || last.fd !== fd || last.retire) {
      const room = this.spare ?? Buffer.allocUnsafe(this.roomBytes);
      this.spare = undefined;
      this.queue.push((last = { fd, lines: new LineBuffer(room), retire: false }));
      backlogged.add(this);
      installExitHook();
    }
    this.queuedBytes += last.lines.append(text);
    this.schedule();
  }

  /**
   * The next write, once the lines of the next few milliseconds have joined the queue: a write
   * per line (an access and an audit line per request) cost a thread-pool hand-off and a system
   * call each, some 5 % of a login.
   */
  private schedule(): void {
    if (this.inFlight || this.pumpScheduled) return;
    this.pumpScheduled = true;
    const pump = () => {
      this.pumpScheduled = false;
      this.pump();
    };
    if (this.batchMs === 0) setImmediate(pump);
    else setTimeout(pump, this.batchMs);
  }

  /** Start the next write unless one is under way. */
  private pump(): void {
    if (this.inFlight) return;
    let batch = this.queue.shift();
    // A reopen's marker: the lines before it are written, so the old descriptor can go now.
    while (batch?.retire === true && batch.lines.bytes === 0) {
      this.io.close(batch.fd);
      batch = this.queue.shift();
    }
    if (!batch) {
      if (!this.sourceHolds) backlogged.delete(this);
      for (const wake of this.waiters.splice(0)) wake();
      return;
    }
    this.queuedBytes -= batch.lines.bytes;
    if (batch.lines.overflowed) this.roomBytes = Math.min(MAX_BATCH_ROOM, 2 * this.roomBytes);
    this.inFlight = batch;
    this.send(batch, batch.lines.take());
  }

  private send(batch: Batch, data: Buffer): void {
    if (data.length === 0) return this.finish(batch);
    this.io.write(batch.fd, data, (error, written) => {
      if (error || written <= 0) {
        // A full disk must not take the API down; stderr is the last resort (and may still hold
        // the bytes when this returns, so their room is not reused).
        process.stderr.write(data);
        return this.finish(batch, false);
      }
      this.send(batch, data.subarray(written));
    });
  }

  private finish(batch: Batch, written = true): void {
    if (batch.retire) this.io.close(batch.fd);
    // Its lines are written: its room can take the next batch's (unless it is outgrown).
    if (written && batch.lines.first?.length === this.roomBytes) this.spare = batch.lines.first;
    this.inFlight = undefined;
    if (this.queue.length > 0) this.schedule();
    else this.pump();
  }

  /** Resolves once the lines written so far are on disk (or on stderr, if the disk refused them). */
  flush(): Promise<void> {
    this.drainSource();
    if (!this.inFlight && this.queue.length === 0) return Promise.resolve();
    const flushed = new Promise<void>((resolve) => this.waiters.push(resolve));
    // Whoever waits need not wait for the batch to fill.
    this.pump();
    return flushed;
  }

  /**
   * Write the queued lines now, synchronously: the process is exiting. A write already under
   * way is left to the kernel (writing it again could double it).
   */
  flushSync(): void {
    this.drainSource();
    for (const batch of this.queue.splice(0)) {
      let data = batch.lines.take();
      try {
        while (data.length > 0) data = data.subarray(this.io.writeSync(batch.fd, data));
      } catch {
        process.stderr.write(data);
      }
    }
    this.queuedBytes = 0;
  }

  reopen(): void {
    if (this.file === undefined || this.fd === undefined) return;
    // Lines held so far were logged before the reopen: they belong to the old file.
    this.drainSource();
    let next: number;
    try {
      next = this.io.open(this.file);
    } catch (error) {
      this.write(formatLine('error', `cannot reopen log file ${this.file}; still writing to the old one`, { error }));
      return;
    }
    // The old file keeps the lines logged before the reopen, and is closed after them.
    const previous = this.fd;
    this.fd = next;
    this.queue.push({ fd: previous, lines: new LineBuffer(), retire: true });
    backlogged.add(this);
    installExitHook();
    this.pump();
  }
}

const RANK: Record<LogLevel, number> = { error: 0, warning: 1, info: 2, debug: 3, trace: 4 };

function makeLogger(sink: Sink, level: LogLevel, bound: LogFields): Logger {
  const emit = (at: LogLevel) => (message: string, fields: LogFields = {}) => {
    if (RANK[at] <= RANK[level]) sink.write(formatLine(at, message, { ...bound, ...fields }));
  };
  return {
    level,
    error: emit('error'),
    warn: emit('warning'),
    info: emit('info'),
    debug: emit('debug'),
    trace: emit('trace'),
    child: (fields) => makeLogger(sink, level, { ...bound, ...fields }),
    reopen: () => sink.reopen(),
  };
}

/** Opening `file` happens here, so an unwritable log file fails at start-up, not later. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level === 'warn' ? 'warning' : (options.level ?? 'info');
  return makeLogger(new Sink(options.file), level, {});
}
