/** The `local` (synchronous) and `local_async` clients (netapi-clients.md §3, §4.1). */
import type { ClientFunction } from '../context.js';
import { secondsField, truthy } from '../fields.js';
import { setMember } from '../../../serializers/set-member.js';
import type { SaltMap, SaltValue } from '../types.js';
import { buildPublish } from './publish.js';
import { runJob, type JobOutcome } from './gather.js';

export const localAsync: ClientFunction = async (call, salt) => {
  const pub = await salt.master.publish(buildPublish(call, salt, 'local_async').load);
  const result: SaltMap = pub ? { jid: pub.jid, minions: pub.minions } : {};
  return [result];
};

export const local: ClientFunction = async (call, salt) => {
  const request = buildPublish(call, salt, 'local');
  const gatherTimeout = secondsField(call.chunk, 'gather_job_timeout', salt.settings.gather_job_timeout);
  const outcome = await runJob(call, salt, request, gatherTimeout);
  return [outcome ? shapeReturns(outcome, truthy(call.chunk.full_return)) : {}];
};

function noReturnText(jid: string): string {
  return (
    'Minion did not return. [No response]\nThe minions may not have all finished running and any remaining ' +
    'minions will return upon completion. To look up the return data for this job later, run the following ' +
    `command:\n\nsalt-run jobs.lookup_jid ${jid}`
  );
}

/** The per-minion dict of netapi-clients.md §3.3. */
export function shapeReturns(outcome: JobOutcome, fullReturn: boolean): SaltMap {
  const result: SaltMap = {};
  for (const [id, data] of outcome.returns) setMember(result, id, fullReturn ? fullReturnOf(data) : (data.return as SaltValue));
  for (const id of outcome.expected) if (!Object.hasOwn(result, id) && !outcome.missing.has(id)) setMember(result, id, false);
  for (const id of outcome.missing) {
    if (Object.hasOwn(result, id)) continue;
    const text = noReturnText(outcome.jid);
    setMember(result, id, fullReturn ? { out: 'no_return', ret: text, retcode: 1 } : text);
  }
  return result;
}

function fullReturnOf(data: SaltMap): SaltMap {
  const full: SaltMap = { ret: data.return as SaltValue };
  if ('out' in data) full.out = data.out as SaltValue;
  if ('retcode' in data) full.retcode = data.retcode as SaltValue;
  if ('jid' in data) full.jid = data.jid as SaltValue;
  return full;
}
