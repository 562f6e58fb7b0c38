/**
 * The master job cache (`local_cache`, wire.md §7) in memory, and the job views the `jobs` runner
 * builds from it (`format_job_instance`, `list_job`).
 */
import type { SaltMap, SaltValue } from '../salt/types.js';
import { jidToTime } from '../salt/jid.js';
import { sortedIgnoreCase } from './keys.js';
import { isMap } from './python.js';

/** Salt purges jobs after `keep_jobs_seconds`; the sandbox bounds the count instead. */
const MAX_JOBS = 10_000;

/** The credential keys never written to the sandbox's job cache. */
const SECRET_KEYS = ['key', 'token', 'password', 'username', 'eauth'];

interface JobRecord {
  load: SaltMap;
  minions: string[];
  results: Map<string, SaltMap>;
}

/** The job's load as stored: publish credentials (top level and in kwargs) left out. */
export function withoutCredentials(load: SaltMap): SaltMap {
  const clean: SaltMap = {};
  for (const [key, value] of Object.entries(load)) {
    if (SECRET_KEYS.includes(key)) continue;
    if (key === 'kwargs' && isMap(value)) {
      clean.kwargs = Object.fromEntries(Object.entries(value).filter(([k]) => !SECRET_KEYS.includes(k)));
    } else {
      clean[key] = value;
    }
  }
  return clean;
}

/** A job as `format_jid_instance` shows it, with the keys it always has. */
type JobView = SaltMap & { Function: SaltValue; Target: SaltValue; StartTime: string };

function formatJob(jid: string, load: SaltMap): JobView {
  const job: SaltMap & { Function: SaltValue; Target: SaltValue } = {
    Function: load.fun ?? 'unknown-function',
    Arguments: Array.isArray(load.arg) ? load.arg : [],
    Target: load.tgt ?? 'unknown-target',
    'Target-type': load.tgt_type ?? 'list',
    User: load.user ?? 'root',
  };
  if ('metadata' in load) job.Metadata = load.metadata;
  else if (isMap(load.kwargs) && 'metadata' in load.kwargs) job.Metadata = load.kwargs.metadata;
  return { ...job, StartTime: jidToTime(jid) };
}

export class JobCache {
  private readonly jobs = new Map<string, JobRecord>();

  /** `save_load` + `save_minions`: a (re)started job with its targeted minions. */
  saveLoad(jid: string, load: SaltMap, minions: string[]): void {
    this.jobs.delete(jid);
    this.jobs.set(jid, { load: withoutCredentials(load), minions: [...minions], results: new Map() });
    if (this.jobs.size > MAX_JOBS) this.jobs.delete(this.jobs.keys().next().value as string);
  }

  /** `returner`: one minion's `{"return", "retcode", "success"[, "out"]}`. */
  saveReturn(jid: string, minion: string, result: SaltMap): void {
    this.jobs.get(jid)?.results.set(minion, result);
  }

  has(jid: string): boolean {
    return this.jobs.has(jid);
  }

  returned(jid: string): string[] {
    return [...(this.jobs.get(jid)?.results.keys() ?? [])];
  }

  /** The job's load in `format_jid_instance` form, for `jobs.list_jobs` and `jobs.active`. */
  describe(jid: string): SaltMap | undefined {
    const job = this.jobs.get(jid);
    return job && formatJob(jid, job.load);
  }

  /** `jobs.list_jobs` with the `search_function`/`search_target` filters (globs). */
  listJobs(matches: (job: JobView) => boolean): SaltMap {
    const out: SaltMap = {};
    for (const [jid, job] of this.jobs) {
      const formatted = formatJob(jid, job.load);
      if (matches(formatted)) out[jid] = formatted;
    }
    return out;
  }

  /** `jobs.list_job` */
  listJob(jid: string): SaltMap {
    const job = this.jobs.get(jid);
    if (job === undefined) {
      return { jid, Error: 'Cannot contact returner or no job with this jid', StartTime: jidToTime(jid), Result: {} };
    }
    const { StartTime, ...head } = formatJob(jid, job.load);
    const out: SaltMap = { jid, ...head };
    if (job.minions.length > 0) out.Minions = sortedIgnoreCase(job.minions);
    out.StartTime = StartTime;
    out.Result = Object.fromEntries(job.results);
    return out;
  }
}
