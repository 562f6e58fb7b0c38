/**
 * Typed, strict reads of one level of config options. Every failure is a ConfigError of the form
 * `<section.>option: expected <what>, got <value>`. An option that is absent or null (an empty
 * YAML value) takes its default.
 */
import { ConfigError, describeValue } from './configError.js';
import type { ConfigMap } from './merge.js';

export function invalid(name: string, expected: string, value: unknown): never {
  throw new ConfigError(`${name}: expected ${expected}, got ${describeValue(value)}`);
}

/** `value` as a list of strings; a bad item is reported as `name[index]`. */
export function stringItems(value: unknown, name: string): string[] {
  if (!Array.isArray(value)) invalid(name, 'a list of strings', value);
  return value.map((item: unknown, index) => (typeof item === 'string' ? item : invalid(`${name}[${index}]`, 'a string', item)));
}

/** Python int() on a str: optional sign, decimal digits, `_` between digits, surrounding blanks. */
const INT_STRING = /^\s*[+-]?\d+(?:_\d+)*\s*$/;

export class OptionReader {
  constructor(
    private readonly values: ConfigMap,
    /** `rest_koa.` for the API section, empty for master options. */
    private readonly prefix: string,
  ) {}

  name(key: string): string {
    return `${this.prefix}${key}`;
  }

  keys(): string[] {
    return Object.keys(this.values);
  }

  get(key: string): unknown {
    return Object.hasOwn(this.values, key) ? (this.values[key] ?? undefined) : undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.get(key) ?? fallback;
    // Salt tests these for truthiness, where the string "false" would mean true: refuse instead.
    if (typeof value !== 'boolean') invalid(this.name(key), 'true or false', value);
    return value;
  }

  string(key: string, fallback: string): string {
    const value = this.get(key) ?? fallback;
    if (typeof value !== 'string') invalid(this.name(key), 'a string', value);
    return value;
  }

  nonEmptyString(key: string, fallback: string): string {
    const value = this.string(key, fallback);
    if (value.trim() === '') invalid(this.name(key), 'a non-empty string', value);
    return value;
  }

  optionalString(key: string): string | undefined {
    return this.has(key) ? this.nonEmptyString(key, '') : undefined;
  }

  /** A TCP port; decimal strings are accepted because Salt passes ports through int(). */
  port(key: string, fallback: number, min: 0 | 1): number {
    const value = this.get(key) ?? fallback;
    const port = typeof value === 'string' && INT_STRING.test(value) ? Number(value.replace(/_/g, '')) : value;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < min || port > 65535) {
      invalid(this.name(key), `an integer ${min}-65535`, value);
    }
    return port;
  }

  integer(key: string, fallback: number, min: number): number {
    const value = this.get(key) ?? fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      invalid(this.name(key), `an integer >= ${min}`, value);
    }
    return value;
  }

  /** A duration in seconds; fractions are fine. `positive` rules out 0. */
  seconds(key: string, fallback: number, positive = false): number {
    const value = this.get(key) ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
      invalid(this.name(key), `a number of seconds ${positive ? '> 0' : '>= 0'}`, value);
    }
    return value;
  }

  /** A list whose items each pass `check`; a bad item is reported as `option[index]`. */
  list<T>(key: string, fallback: readonly T[], check: (item: unknown, name: string) => T): T[] {
    const value = this.get(key) ?? fallback;
    if (!Array.isArray(value)) invalid(this.name(key), 'a list', value);
    return value.map((item: unknown, index) => check(item, `${this.name(key)}[${index}]`));
  }

  stringList(key: string, fallback: readonly string[]): string[] {
    return stringItems(this.get(key) ?? fallback, this.name(key));
  }
}
