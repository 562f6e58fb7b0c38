/**
 * `local_batch` (netapi-clients.md §4.3): ping the target to find the minions that answer, then
 * run `fun` on `batch` of them at a time. Each minion contributes its own element `{id: return}`
 * to the response's `return` list; a minion that did not return gives `{id: {}}`.
 */
import { Errors } from '../../errors.js';
import type { ClientFunction } from '../context.js';
import { secondsField, truthy } from '../fields.js';
import type { LowstateChunk, SaltValue } from '../types.js';
import { buildPublish } from './publish.js';
import { runJob } from './gather.js';

/** Batch size: `N` or `P%` of the minions (rounded up below 1, truncated otherwise). */
export function batchSize(batch: SaltValue | undefined, minions: number): number {
  const spec = batch ?? '10%';
  if (typeof spec === 'string' && spec.includes('%')) {
    const percent = Number(spec.replace('%', ''));
    if (!Number.isFinite(percent) || percent <= 0) throw Errors.InvalidField('batch', 'a number or a percentage');
    const size = (minions * percent) / 100;
    return size < 1 ? 1 : Math.trunc(size);
  }
  const size = typeof spec === 'string' ? Number(spec) : spec;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) throw Errors.InvalidField('batch', 'a number or a percentage');
  return size;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const localBatch: ClientFunction = async (call, salt) => {
  const gatherTimeout = secondsField(call.chunk, 'gather_job_timeout', salt.settings.gather_job_timeout);
  const batchWait = secondsField(call.chunk, 'batch_wait', 0) * 1000;
  const failhard = truthy(call.chunk.failhard);
  const { batch, batch_wait: _wait, failhard: _failhard, full_return: _full, ...chunk } = call.chunk;
  const base: LowstateChunk = chunk;
  // Every field of the job, batch size included, is checked before the discovery ping goes out.
  buildPublish({ ...call, chunk: base }, salt, 'local_batch');
  batchSize(batch, 1);

  const ping = buildPublish({ ...call, chunk: { ...base, fun: 'test.ping', arg: [], kwarg: {} } }, salt, 'local_batch');
  const discovered = await runJob(call, salt, ping, gatherTimeout);
  const minions = discovered ? [...discovered.returns.keys()] : [];
  if (minions.length === 0) return [];
  const size = batchSize(batch, minions.length);

  const items: SaltValue[] = [];
  for (let start = 0; start < minions.length; start += size) {
    const slice = minions.slice(start, start + size);
    const request = buildPublish({ ...call, chunk: { ...base, tgt: slice, tgt_type: 'list' } }, salt, 'local_batch');
    const outcome = await runJob(call, salt, request, gatherTimeout);
    let failed = false;
    for (const id of slice) {
      const data = outcome?.returns.get(id);
      items.push({ [id]: data ? (data.return as SaltValue) : {} });
      if (failhard && data && typeof data.retcode === 'number' && data.retcode !== 0) failed = true;
    }
    if (failed) break;
    if (start + size < minions.length && batchWait > 0) await sleep(batchWait);
  }
  return items;
};
