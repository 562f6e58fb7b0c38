/**
 * What each Salt release shows a client of the request server and the event bus: every
 * difference between 3006.0 and 3008.2 (salt-versions.md), as flags derived from the release
 * number. The sandbox master behaves by it; `doctor` tells releases apart by it.
 */
import type { BusFraming } from './busFraming.js';

export interface SaltRelease {
  /** `3008.2`. */
  readonly version: string;
  /** Envelopes below this `version` are answered `"bad load"` (`minimum_auth_version`); 0 for no check. */
  readonly minimumAuthVersion: number;
  /** Framing of `master_event_pub.ipc` and `master_event_pull.ipc` (§2). */
  readonly publishFraming: BusFraming;
  readonly pullFraming: BusFraming;
  /** A publish fires the bare `<jid>` event (before 3008, §3). */
  readonly bareJidEvent: boolean;
  /** A publish fires `salt/job/<jid>/publish` (not in 3006, §4). */
  readonly publishEvent: boolean;
  /** `_stamp` ends in `+00:00` (3008, §5). */
  readonly zonedStamps: boolean;
  /** `ClearFuncs.wheel` picks the jid and fires no events of its own (3008, §6). */
  readonly wheelPicksJid: boolean;
  /** Worker pools: `workers.ipc` is a plain file (3008, §7). */
  readonly workerPools: boolean;
  /** A load without `cmd` is answered `{}` rather than the generic failure (3006.25+, 3008, §8). */
  readonly answersEmptyLoad: boolean;
  /** A `nonce` in a clear load is kept (3006.12+, 3007.4+, §8). */
  readonly keepsNonce: boolean;
}

/** One release of each generation of the table in salt-versions.md, oldest first. */
export const RELEASE_GENERATIONS = ['3006.16', '3006.27', '3007.14', '3008.1', '3008.2'] as const;

/** The sandbox's default: the newest release. */
export const DEFAULT_RELEASE = '3008.2';

/** `[major, point]` of `3006.27`; throws on anything else. */
function releaseNumbers(version: string): [number, number] {
  const match = /^(300[678])\.(\d+)$/.exec(version);
  if (!match) throw new Error(`unknown Salt release ${JSON.stringify(version)}: expected 3006.N, 3007.N or 3008.N`);
  return [Number(match[1]), Number(match[2])];
}

export function saltRelease(version: string = DEFAULT_RELEASE): SaltRelease {
  const [major, point] = releaseNumbers(version);
  const since = (m: number, p: number) => major === m && point >= p;
  const prefixedBoth = since(3006, 26);
  return {
    version,
    minimumAuthVersion: since(3006, 17) || since(3007, 9) || major === 3008 ? 3 : 0,
    publishFraming: prefixedBoth ? 'prefixed' : 'plain',
    pullFraming: prefixedBoth || since(3008, 2) ? 'prefixed' : 'plain',
    bareJidEvent: major < 3008,
    publishEvent: major > 3006,
    zonedStamps: major === 3008,
    wheelPicksJid: major === 3008,
    workerPools: major === 3008,
    answersEmptyLoad: since(3006, 25) || major === 3008,
    keepsNonce: since(3006, 12) || since(3007, 4) || major === 3008,
  };
}
