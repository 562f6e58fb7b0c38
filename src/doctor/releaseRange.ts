/**
 * Which Salt releases fit the evidence, as a range an operator can read. The facts come from
 * src/sandbox/release.ts: it is the project's one encoding of salt-versions.md (the sandbox
 * reproduces each release from it), so the doctor reads the same table rather than a second
 * copy that could drift. It is a pure table and pulls in nothing else of the sandbox.
 */
import { saltRelease, type SaltRelease } from '../salt/releases.js';
import type { Evidence } from './evidence.js';

/**
 * Per release line, the last release salt-versions.md was written from. Nothing is known of later
 * ones: they are taken to behave like it, and only the newest line's range is left open-ended.
 */
export const LAST_STUDIED: Readonly<Record<number, number>> = { 3006: 27, 3007: 14, 3008: 2 };
const NEWEST_LINE = 3008;

export interface Release {
  major: number;
  point: number;
}

interface Candidate extends Release {
  behaviour: SaltRelease;
}

const STUDIED: readonly Candidate[] = Object.entries(LAST_STUDIED).flatMap(([major, last]) =>
  Array.from({ length: last + 1 }, (_, point) => ({ major: Number(major), point, behaviour: saltRelease(`${major}.${point}`) })),
);

function agrees<T>(seen: T | undefined, expected: T): boolean {
  return seen === undefined || seen === expected;
}

function fits(release: SaltRelease, evidence: Evidence): boolean {
  return (
    agrees(evidence.refusesVersion2, release.minimumAuthVersion >= 3) &&
    agrees(evidence.answersEmptyLoad, release.answersEmptyLoad) &&
    agrees(evidence.keepsNonce, release.keepsNonce) &&
    agrees(evidence.publishFraming, release.publishFraming) &&
    agrees(evidence.pullFraming, release.pullFraming) &&
    agrees(evidence.workerPools, release.workerPools)
  );
}

/** Every studied release the evidence fits, oldest first. */
export function candidates(evidence: Evidence): Release[] {
  return STUDIED.filter((candidate) => fits(candidate.behaviour, evidence)).map(({ major, point }) => ({ major, point }));
}

export function studiedCount(): number {
  return STUDIED.length;
}

/** `3007.9–3007.14 or 3006.17–3006.24`, newest line first; `3008.2 or later` at the open end. */
export function describeReleases(releases: readonly Release[]): string {
  const runs: { major: number; first: number; last: number }[] = [];
  for (const { major, point } of releases) {
    const run = runs.at(-1);
    if (run && run.major === major && run.last === point - 1) run.last = point;
    else runs.push({ major, first: point, last: point });
  }
  return runs
    .sort((a, b) => b.major - a.major)
    .map(({ major, first, last }) => {
      if (major === NEWEST_LINE && last === LAST_STUDIED[major]) return `${major}.${first} or later`;
      return first === last ? `${major}.${first}` : `${major}.${first}–${major}.${last}`;
    })
    .join(' or ');
}

/** `3007.15` as the studied release it is taken to behave like (3007.14); undefined if not 3006–3008. */
export function asStudied(version: string): Release | undefined {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (!match) return undefined;
  const major = Number(match[1]);
  const last = LAST_STUDIED[major];
  return last === undefined ? undefined : { major, point: Math.min(Number(match[2]), last) };
}

/** The evidence in words, for the report: what the range was told from. */
export function describeEvidence(evidence: Evidence): string[] {
  const clues: string[] = [];
  if (evidence.refusesVersion2 !== undefined) clues.push(evidence.refusesVersion2 ? 'version 2 refused' : 'version 2 accepted');
  if (evidence.answersEmptyLoad !== undefined) clues.push(evidence.answersEmptyLoad ? 'a load without cmd answered {}' : 'a load without cmd answered "Some exception handling minion payload"');
  if (evidence.keepsNonce !== undefined) clues.push(evidence.keepsNonce ? 'ping echoes the nonce' : 'ping strips the nonce');
  if (evidence.publishFraming !== undefined) clues.push(`publish frames ${evidence.publishFraming}`);
  if (evidence.pullFraming !== undefined) clues.push(`pull frames ${evidence.pullFraming}`);
  if (evidence.workerPools !== undefined) clues.push(evidence.workerPools ? 'workers.ipc a plain file' : 'workers.ipc a socket');
  return clues;
}
