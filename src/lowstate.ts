/** Turning a parsed body into a lowstate (http-api.md §4.3). */
import { Errors } from './errors.js';
import { isMap } from './salt/master.js';
import type { Lowstate, SaltValue } from './salt/types.js';

/** A single non-empty mapping becomes a one-chunk list (its scalar `arg` wrapped); anything else stays as it is. */
export function formLowstate(data: unknown): unknown {
  const value = data as SaltValue;
  if (isMap(value) && Object.keys(value).length > 0) {
    const chunk = { ...value };
    if ('arg' in chunk && !Array.isArray(chunk.arg) && !isMap(chunk.arg) && chunk.arg !== null) chunk.arg = [chunk.arg];
    return [chunk];
  }
  return data;
}

/** The lowstate a command endpoint runs: it must be a list (400 otherwise). */
export function requireLowstate(data: unknown): Lowstate {
  const lowstate = formLowstate(data);
  if (!Array.isArray(lowstate)) throw Errors.LowstateNotList();
  return lowstate as Lowstate;
}
