/**
 * Logging out holds in every API process that reads the master's bus: the process that logs a
 * token out publishes its digest (never the token), and every process refuses that token from
 * then on. Deleting it on the master would mean running the runner `auth.del_token` with the
 * token as its argument, which the master publishes on the bus for every event-stream reader.
 */
import type { EventBus } from './eventBus.js';
import { INTERNAL_TAG_PREFIX } from './eventFirer.js';
import { tokenDigest, type TokenAuthority } from './tokens.js';
import type { FireOutcome } from './eventFirer.js';
import type { SaltToken } from './types.js';
import { numberOf } from '../../serializers/python-values.js';

export const LOGOUT_TAG = `${INTERNAL_TAG_PREFIX}logout`;

const DIGEST = /^[0-9a-f]{64}$/;

/** Tell every API process (this one included) that the token is logged out. */
export function announceLogout(bus: EventBus, record: SaltToken): Promise<FireOutcome> {
  return bus.fire(LOGOUT_TAG, { token_sha256: tokenDigest(record.token), expire: record.expire });
}

/** Refuse the tokens other processes log out; returns the unsubscribe function. */
export function followLogouts(bus: EventBus, tokens: TokenAuthority): () => void {
  return bus.watchPublished((event) => {
    if (event.tag !== LOGOUT_TAG) return;
    const { token_sha256: digest } = event.data;
    const expire = numberOf(event.data.expire);
    if (typeof digest === 'string' && DIGEST.test(digest) && expire !== undefined && Number.isFinite(expire)) {
      tokens.revokeDigest(digest, expire);
    }
  });
}
