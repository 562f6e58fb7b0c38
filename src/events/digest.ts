/**
 * The `format_events` digest of `GET /ws` (http-api.md §7.16; salt-api's event_processor.py
 * `SaltInfo`): per connection, a map of jobs and a map of minions, sent whole whenever an event
 * changes them, as `{"jobs": {…}}` or `{"minions": [{…, "id": <mid>}, …]}`.
 *
 * Where salt-api crashed the digest (missing fields, short tags, `salt/presence/change`), the
 * event is digested with what it has or ignored. For minions that appear in a presence event
 * salt-api started a `grains.items` job on the user's behalf; we do not run jobs nobody asked
 * for (one per connected client and event): new minions are listed without grains, and grains
 * arrive as before whenever anyone runs `grains.items`.
 */
import type { SaltMap, SaltValue } from '../salt/types.js';
import { setMember } from '../../serializers/set-member.js';
import { isSaltMap } from '../../serializers/value-kinds.js';
import { truthy } from '../salt/fields.js';

/** Jobs kept per connection; every message carries them all, so the map must not grow forever. */
const MAX_JOBS = 200;

export type DigestMessage = { jobs: SaltMap } | { minions: SaltMap[] };

function strings(value: SaltValue | undefined): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export class EventDigest {
  private readonly jobs = new Map<string, SaltMap>();
  private minions = new Map<string, SaltMap>();

  /** The messages one event produces (often none). */
  process(tag: string, data: SaltMap): DigestMessage[] {
    const parts = tag.split('/');
    const [, kind, jid, stage, mid] = parts;
    if (kind === 'job' && jid !== undefined) {
      if (stage === 'new') {
        const message = this.newJob(jid, data);
        if (data.fun === 'grains.items') this.minions = new Map();
        return [message];
      }
      if (stage === 'ret' && mid !== undefined && parts.length === 5) {
        const messages = [this.jobReturn(jid, mid, data)];
        if (data.fun === 'grains.items') messages.push(this.minionGrains(mid, data));
        return messages;
      }
      return [];
    }
    if (kind === 'key') return [this.keyChange(data)];
    if (kind === 'presence') return this.presence(data);
    return [];
  }

  private newJob(tagJid: string, data: SaltMap): DigestMessage {
    const jid = typeof data.jid === 'string' ? data.jid : tagJid;
    const minions: SaltMap = {};
    for (const mid of strings(data.minions)) setMember(minions, mid, { success: false });
    this.keepJob(jid, {
      jid,
      start_time: data._stamp ?? null,
      minions,
      fun: data.fun ?? null,
      tgt: data.tgt ?? null,
      tgt_type: data.tgt_type ?? null,
      state: 'running',
    });
    return this.jobsMessage();
  }

  private jobReturn(jid: string, mid: string, data: SaltMap): DigestMessage {
    let job = this.jobs.get(jid);
    if (!job) this.keepJob(jid, (job = {}));
    if (!isSaltMap(job.minions ?? null)) job.minions = {};
    const minions = job.minions as SaltMap;
    // Own keys only: a minion id (or an event tag any minion can fire) may be `__proto__` or
    // `constructor`, whose inherited values must never be taken for, or written as, a minion.
    const known = Object.hasOwn(minions, mid) ? minions[mid] : undefined;
    let minion: SaltMap;
    if (known !== undefined && isSaltMap(known)) minion = known;
    else setMember(minions, mid, (minion = {}));
    minion.return = data.return ?? null;
    minion.retcode = data.retcode ?? null;
    minion.success = data.success ?? null;
    if (Object.values(minions).every((entry) => isSaltMap(entry) && truthy(entry.success))) job.state = 'complete';
    return this.jobsMessage();
  }

  private minionGrains(mid: string, data: SaltMap): DigestMessage {
    const minion = this.minions.get(mid) ?? {};
    minion.grains = data.return ?? null;
    this.minions.set(mid, minion);
    return this.minionsMessage();
  }

  private keyChange(data: SaltMap): DigestMessage {
    if (typeof data.id === 'string') {
      if (data.act === 'delete') this.minions.delete(data.id);
      else if (data.act === 'accept' && !this.minions.has(data.id)) this.minions.set(data.id, {});
    }
    return this.minionsMessage();
  }

  /**
   * `salt/presence/present` lists the connected minions; `salt/presence/change` lists the `new`
   * and `lost` ones (salt-api's digest died on it).
   */
  private presence(data: SaltMap): DigestMessage[] {
    const present = Array.isArray(data.present) ? new Set(strings(data.present)) : undefined;
    const gone = present ? [...this.minions.keys()].filter((mid) => !present.has(mid)) : strings(data.lost);
    const arrived = present ? [...present] : strings(data.new);
    let changed = false;
    for (const mid of gone) changed = this.minions.delete(mid) || changed;
    for (const mid of arrived) {
      if (this.minions.has(mid)) continue;
      this.minions.set(mid, {});
      changed = true;
    }
    return changed ? [this.minionsMessage()] : [];
  }

  private keepJob(jid: string, job: SaltMap): void {
    if (!this.jobs.has(jid) && this.jobs.size >= MAX_JOBS) this.jobs.delete(this.jobs.keys().next().value as string);
    this.jobs.set(jid, job);
  }

  private jobsMessage(): DigestMessage {
    return { jobs: Object.fromEntries(this.jobs) };
  }

  private minionsMessage(): DigestMessage {
    return { minions: [...this.minions].map(([mid, info]) => ({ ...info, id: mid })) };
  }
}
