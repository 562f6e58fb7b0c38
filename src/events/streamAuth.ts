/**
 * Which token an event stream presents, and its check (http-api.md §7.15): the `token` or
 * `salt_token` query parameter (salt-api's names, treated alike), else the X-Auth-Token header
 * or the session cookie. The token must be well-formed hex before the master is asked.
 */
import { Errors } from '../errors.js';
import type { TokenAuthority } from '../salt/tokens.js';
import type { SaltToken } from '../salt/types.js';
import type { ApiContext } from '../state.js';
import { presentedToken } from '../../middleware/session.js';

const QUERY_NAMES = ['token', 'salt_token'] as const;

export interface StreamCredential {
  token?: string;
  /** Sent by the browser on its own (the cookie), so a foreign page could make it send it. */
  ambient: boolean;
}

/** The credential of a stream request; a WebSocket path token (`/ws/<token>`) comes first. */
export function streamCredential(ctx: ApiContext, pathToken?: string): StreamCredential {
  if (pathToken !== undefined) return { token: pathToken, ambient: false };
  for (const name of QUERY_NAMES) {
    const value = ctx.query[name];
    if (value !== undefined) return { token: Array.isArray(value) ? value[0] : value, ambient: false };
  }
  const token = presentedToken(ctx);
  // The header wins over the cookie: without one, a token came from the cookie.
  return { token, ambient: token !== undefined && !ctx.get('X-Auth-Token').trim() };
}

/** The token's record; 401 for a missing, malformed, unknown, expired or logged-out token, or a user refused by `api_acl`. */
export async function authenticateStream(
  tokens: TokenAuthority,
  credential: StreamCredential,
  admits: (username: string) => boolean,
  /** The client's address, which a token the master is asked about counts against (auth_throttle). */
  from: string,
): Promise<SaltToken> {
  const record = await tokens.validate(credential.token, from);
  // A user `api_acl` keeps out of this address is as unknown as a bad token.
  if (!record || !admits(record.name)) throw Errors.NotAuthenticated();
  return record;
}
