/**
 * The session is the master's own eauth token: carried by the `X-Auth-Token` header (an empty
 * header is ignored) or the `session_id` cookie. Nothing is stored in this process, so any
 * number of API processes accept the same token.
 */
import type { ApiContext } from '../src/state.js';

export const SESSION_COOKIE = 'session_id';

/** The token the request presents, header first (it wins over the cookie, as in salt-api). */
export function presentedToken(ctx: ApiContext): string | undefined {
  // Node joins a repeated header's values into one string, as Koa's ctx.get() returns it.
  const header = String(ctx.req.headers['x-auth-token'] ?? '').trim();
  if (header) return header;
  return ctx.cookies.get(SESSION_COOKIE) || undefined;
}

/** `Set-Cookie` for a session that lasts as long as its token. */
export function sessionCookie(token: string, expire: number, secure: boolean): string {
  const maxAge = Math.max(0, Math.floor(expire - Date.now() / 1000));
  const expires = new Date(expire * 1000).toUTCString();
  return `${SESSION_COOKIE}=${token}; Path=/; Expires=${expires}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** `Set-Cookie` that makes the browser drop the session. */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}
