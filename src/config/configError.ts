/**
 * A configuration problem found before anything starts. The message is one line and names the
 * option (or file) at fault, because the CLI prints it verbatim as its only output.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The errno code of a failed file operation (`ENOENT`), or the error's text when it has none. */
export function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

/** A file named by `option` (a flag or a config key) that could not be opened: the whole path, and the errno code. */
export function cannotOpen(option: string, file: string | undefined, error: unknown): ConfigError {
  return new ConfigError(`${option}: cannot open ${JSON.stringify(file)} (${errorCode(error)})`);
}

/** Short rendering of an offending value for error messages: scalars literally, containers by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'binary data';
  if (value instanceof Set) return 'a set';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}
