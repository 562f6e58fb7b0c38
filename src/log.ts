/**
 * A small leveled logger: one line per message, `<ISO time> [<LEVEL>] <message> {json fields}`,
 * to stderr or appended to a file. Level names are Salt's (`warn` is accepted for `warning`).
 */
import { closeSync, openSync, writeSync } from 'node:fs';

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

/**
 * Where lines go: a file opened for appending, or stderr. Writes are synchronous so nothing is
 * lost when the process exits right after. Also the access log's file (src/accessLog.ts).
 */
export class Sink {
  private fd: number | undefined;

  constructor(private readonly file: string | undefined) {
    this.fd = file === undefined ? undefined : openSync(file, 'a');
  }

  write(line: string): void {
    if (this.fd === undefined) {
      process.stderr.write(line);
      return;
    }
    try {
      writeSync(this.fd, line);
    } catch {
      // A full disk must not take the API down; stderr is the last resort.
      process.stderr.write(line);
    }
  }

  reopen(): void {
    if (this.file === undefined || this.fd === undefined) return;
    let next: number;
    try {
      next = openSync(this.file, 'a');
    } catch (error) {
      this.write(formatLine('error', `cannot reopen log file ${this.file}; still writing to the old one`, { error }));
      return;
    }
    const previous = this.fd;
    this.fd = next;
    closeSync(previous);
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
