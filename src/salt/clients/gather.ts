/**
 * Synchronous job execution as LocalClient does it (netapi-clients.md §3.2): publish, collect
 * returns until every targeted minion answered or `timeout` passed, then ask the outstanding
 * minions with `saltutil.find_job` every `gather_job_timeout` seconds whether they still run the
 * job; stop when a round finds nobody running.
 */
import { Errors } from '../../errors.js';
import type { ClientCall, SaltContext } from '../context.js';
import type { SaltMap } from '../types.js';
import type { PublishRequest } from './publish.js';
import { JobWatch, stillRunning } from './jobWatch.js';
import { Signal } from './signal.js';

export interface JobOutcome {
  jid: string;
  /** Minions the job was sent to (grows when find_job finds others running it). */
  expected: Set<string>;
  /** Targeted ids without an accepted key. */
  missing: Set<string>;
  returns: Map<string, SaltMap>;
}

/** Publish and wait for the returns; undefined when no minion matched. */
export async function runJob(
  call: ClientCall,
  salt: SaltContext,
  request: PublishRequest,
  gatherTimeout: number,
): Promise<JobOutcome | undefined> {
  if (!(await salt.bus.ready())) throw Errors.MasterUnavailable();
  const release = salt.bus.retain();
  const signal = new Signal();
  let watch: JobWatch | undefined;
  try {
    const pub = await salt.master.publish(request.load);
    if (!pub) return undefined;
    call.onJob?.(pub.jid);
    watch = new JobWatch(salt.bus, pub.jid, signal);
    release();
    for (const id of pub.minions) watch.expect(id);
    await gather(call, salt, watch, signal, request.timeout * 1000, gatherTimeout * 1000);
    return { jid: pub.jid, expected: watch.expected, missing: new Set(pub.missing), returns: watch.returns };
  } finally {
    release();
    watch?.close();
  }
}

async function gather(
  call: ClientCall,
  salt: SaltContext,
  watch: JobWatch,
  signal: Signal,
  timeoutMs: number,
  gatherMs: number,
): Promise<void> {
  let deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!watch.waiting) return;
    if (Date.now() < deadline) {
      await signal.wait(deadline);
      continue;
    }
    const running = await findJobRound(call, salt, watch, signal, gatherMs);
    if (running === 0) return;
    deadline = Date.now();
  }
}

/** One find_job round over the outstanding minions; returns how many still run the job. */
async function findJobRound(
  call: ClientCall,
  salt: SaltContext,
  watch: JobWatch,
  signal: Signal,
  gatherMs: number,
): Promise<number> {
  const outstanding = watch.outstanding();
  const roundEnd = Date.now() + gatherMs;
  const release = salt.bus.retain();
  let finder: JobWatch | undefined;
  try {
    const pub = await salt.master.publish({
      tgt: outstanding,
      fun: 'saltutil.find_job',
      arg: [watch.jid],
      tgt_type: 'list',
      ret: '',
      jid: '',
      kwargs: { token: call.token.token },
    });
    if (!pub) return 0;
    finder = new JobWatch(salt.bus, pub.jid, signal);
    release();
    while (Date.now() < roundEnd && watch.waiting) {
      await signal.wait(roundEnd);
    }
    let running = 0;
    for (const [id, data] of finder.returns) {
      const retcode = typeof data.retcode === 'number' ? data.retcode : 0;
      if (retcode > 0) watch.forget(id);
      else if (stillRunning(data)) {
        running++;
        watch.expect(id);
      }
    }
    return running;
  } finally {
    release();
    finder?.close();
  }
}
