/** salt-api's `api_acl` check on /login (http-api.md §8): username and client IP. */
import type { ApiAcl } from '../config/types.js';

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
