/**
 * The Salt release the sandbox reproduces in this test run: `SALT_RELEASE` (set by the release
 * matrix, test/matrix.ts), else the sandbox's default, the newest release.
 */
import { DEFAULT_RELEASE, saltRelease, type SaltRelease } from '../../src/salt/releases.js';

export const RELEASE: SaltRelease = saltRelease(process.env.SALT_RELEASE ?? DEFAULT_RELEASE);

/** An event `_stamp` of this release (the fraction is left out when the microseconds are 0), as a regex source. */
export const STAMP_SOURCE = `\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d{6})?${RELEASE.zonedStamps ? '\\+00:00' : ''}`;

/**
 * A wheel answer recorded in front of the capture's master (a 3007), as salt-api gives it in front
 * of this run's release: from 3008 a wheel reply's data is the master's own, without `_stamp`
 * (salt-versions.md §6), and salt-api passes it on as it is.
 */
export function wheelAnswerAsOfRelease<T>(recorded: T): T {
  if (!RELEASE.wheelPicksJid) return recorded;
  const entry = (recorded as { return: { data: Record<string, unknown> }[] }).return[0]!;
  delete entry.data._stamp;
  return recorded;
}
