/**
 * Reading lowstate fields. Every field comes from the request body and is treated as hostile:
 * a wrong type is a 400 naming the field, never a crash deeper down.
 */
import { Errors } from '../errors.js';
import type { LowstateChunk, SaltMap, SaltValue } from './types.js';
import { isMap } from './master.js';
import { PyFloat } from '../../serializers/python-values.js';

/** Python truthiness, which salt-api applies to flags such as `full_return` and `raw_shell`. */
export function truthy(value: SaltValue | undefined): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Uint8Array) return value.length > 0;
  if (value instanceof PyFloat) return value.value !== 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

const isStringList = (value: SaltValue): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/** `fun`: a function name or a list of them (compound job). */
export function funField(chunk: LowstateChunk, client: string): string | string[] {
  const fun = chunk.fun;
  if (fun === undefined) throw Errors.MissingArgument(client);
  if (typeof fun === 'string' && fun !== '') return fun;
  if (isStringList(fun) && fun.length > 0 && fun.every((f) => f !== '')) return fun;
  throw Errors.InvalidField('fun', 'a function name or a list of function names');
}

/** `fun` of runner/wheel calls: one function name. */
export function singleFunField(chunk: LowstateChunk, client: string): string {
  const fun = chunk.fun;
  if (fun === undefined) throw Errors.MissingArgument(client);
  if (typeof fun !== 'string' || fun === '') throw Errors.InvalidField('fun', 'a function name');
  return fun;
}

/** `tgt`: a target expression or a list of minion ids. */
export function tgtField(chunk: LowstateChunk): string | string[] {
  const tgt = chunk.tgt;
  if (tgt === undefined) throw Errors.InvalidField('tgt', 'a target (missing)');
  if (typeof tgt === 'string' && tgt !== '') return tgt;
  if (isStringList(tgt)) return tgt;
  throw Errors.InvalidField('tgt', 'a target expression or a list of minion ids');
}

/** `arg`: positional arguments; a scalar is wrapped in a list as salt-api does, a mapping is refused. */
export function argField(chunk: LowstateChunk): SaltValue[] {
  const arg = chunk.arg;
  if (arg === undefined || arg === null) return [];
  if (Array.isArray(arg)) return arg;
  if (isMap(arg)) throw Errors.InvalidField('arg', 'a list of positional arguments');
  return [arg];
}

/** `kwarg`: keyword arguments. */
export function kwargField(chunk: LowstateChunk): SaltMap {
  const kwarg = chunk.kwarg;
  if (kwarg === undefined || kwarg === null) return {};
  if (isMap(kwarg)) return kwarg;
  throw Errors.InvalidField('kwarg', 'a mapping of keyword arguments');
}

/** The longest wait a Node timer can hold (2^31 - 1 ms); a longer one would fire at once. */
const MAX_WAIT_SECONDS = Math.floor(0x7fffffff / 1000);

/** A positive number of seconds (a numeric string is accepted, as forms send them), or the default. */
export function secondsField(chunk: LowstateChunk, field: string, fallback: number): number {
  const value = chunk[field];
  if (value === undefined || value === null) return fallback;
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw Errors.InvalidField(field, 'a positive number of seconds');
  }
  if (seconds > MAX_WAIT_SECONDS) throw Errors.InvalidField(field, `at most ${MAX_WAIT_SECONDS} seconds`);
  return seconds;
}

/** An optional string field such as `tgt_type` or `ret`. */
export function stringField(chunk: LowstateChunk, field: string, fallback: string): string {
  const value = chunk[field];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string') throw Errors.InvalidField(field, 'a string');
  return value;
}
