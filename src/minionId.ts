/**
 * A minion id names a key file in the master's pki_dir, so one that could leave that directory
 * or corrupt a header or log line is refused before anything is sent to the master (security.md).
 */
import { Errors } from './errors.js';

const UNSAFE = /[/\\\u0000-\u001f\u007f]|\.\./;

export function assertMinionId(value: unknown): string {
  if (typeof value !== 'string' || value === '' || UNSAFE.test(value)) throw Errors.InvalidMinionId();
  return value;
}
