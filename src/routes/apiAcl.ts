/**
 * salt-api's `api_acl` (http-api.md §8): which users may come from which client addresses.
 * salt-api checked it on /login only, so a token from /token, eauth credentials on /run or a token
 * obtained elsewhere went around it; here every path that takes credentials or a token checks it.
 */
import type { ApiAcl } from '../config/types.js';
import type { ApiContext } from '../state.js';
import { clientIp } from '../../middleware/clientIp.js';

/** `ip` is asked for only when an ACL is configured. */
export function apiAclAllows(acl: ApiAcl | undefined, username: string, ip: () => string): boolean {
  if (!acl || Object.keys(acl).length === 0) return true;
  const users = acl.users;
  if (!users || Object.keys(users).length === 0) return false;
  // Own keys only: a username such as `constructor` must not find an inherited value.
  const list = Object.hasOwn(users, username) ? users[username] : users['*'];
  if (!list) return false;
  const client = ip();
  const address = client.startsWith('::ffff:') ? client.slice(7) : client;
  return list.includes('*') || list.includes(address);
}

/** `api_acl` against the request's client (as resolved through `trusted_proxies`). */
export function admitsFrom(acl: ApiAcl | undefined, ctx: ApiContext): (username: string) => boolean {
  return (username) => apiAclAllows(acl, username, () => clientIp(ctx));
}
