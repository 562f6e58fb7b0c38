/** `local_subset` (netapi-clients.md §4.2): find minions that have `fun`, then run it on up to `subset` of them. */
import { randomInt } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { ClientFunction } from '../context.js';
import { funField, secondsField, truthy } from '../fields.js';
import { buildPublish } from './publish.js';
import { runJob } from './gather.js';
import { shapeReturns } from './local.js';
import { unpacked } from '../packedValue.js';
import type { SaltMap } from '../types.js';

export const localSubset: ClientFunction = async (call, salt) => {
  const fun = funField(call.chunk, 'local_subset');
  if (typeof fun !== 'string') throw Errors.InvalidField('fun', 'one function name (local_subset takes no lists)');
  const size = call.chunk.sub ?? call.chunk.subset ?? 3;
  const count = typeof size === 'string' ? Number(size) : size;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) throw Errors.InvalidField('subset', 'a positive integer');
  const gatherTimeout = secondsField(call.chunk, 'gather_job_timeout', salt.settings.gather_job_timeout);
  const { sub: _sub, subset: _subset, ...chunk } = call.chunk;
  // Every field of the job is checked before the discovery job goes out.
  buildPublish({ ...call, chunk }, salt, 'local_subset');

  const discovery = buildPublish({ ...call, chunk: { ...chunk, fun: 'sys.list_functions', arg: [], kwarg: {} } }, salt, 'local_subset');
  const found = await runJob(call, salt, discovery, gatherTimeout);
  const candidates = found ? [...found.returns].filter(([, data]) => listsFunction(data, fun)) : [];
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  const chosen = candidates.slice(0, count).map(([id]) => id);
  if (chosen.length === 0) return [{}];

  const request = buildPublish({ ...call, chunk: { ...chunk, tgt: chosen, tgt_type: 'list' } }, salt, 'local_subset');
  const outcome = await runJob(call, salt, request, gatherTimeout);
  return [outcome ? shapeReturns(outcome, truthy(call.chunk.full_return)) : {}];
};

/** Whether a minion's `sys.list_functions` return (packed, on a real minion: thousands of names) lists `fun`. */
export function listsFunction(data: SaltMap, fun: string): boolean {
  const functions = unpacked(data.return);
  return Array.isArray(functions) && functions.includes(fun);
}
