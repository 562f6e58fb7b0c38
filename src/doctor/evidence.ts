/**
 * What the master showed on the wire that tells releases apart (salt-versions.md). Each field is
 * undefined when it was not observed, or when the master's config makes it say nothing about the
 * release (an option that changes the behaviour on any release).
 */
import type { BusFraming } from '../salt/busFraming.js';

export interface Evidence {
  /** A clear ping at envelope version 2 was answered "bad load" (minimum_auth_version >= 3). */
  refusesVersion2?: boolean;
  /** A load without `cmd` was answered `{}` rather than "Some exception handling minion payload". */
  answersEmptyLoad?: boolean;
  /** A `nonce` in a clear ping came back in the echo. */
  keepsNonce?: boolean;
  /** Framing of the frames read from the publish socket. */
  publishFraming?: BusFraming;
  /** Framing the pull socket reads (a probe event in it was republished). */
  pullFraming?: BusFraming;
  /** `workers.ipc` in sock_dir is a plain file (3008 worker pools) rather than a socket. */
  workerPools?: boolean;
}
