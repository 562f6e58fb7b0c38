/**
 * The session is the master's own eauth token: carried by the `X-Auth-Token` header (an empty
 * header is ignored) or the `session_id` cookie. Nothing is stored in this process, so any
 * number of API processes accept the same token.
 */
import type { ApiContext } from '../src/state.js';

export const SESSION_COOKIE = 'session_id';

function headerToken(ctx: ApiContext): string {
  // Node joins a repeated header's values into one string, as Koa's ctx.get() returns it.
  return String(ctx.req.headers['x-auth-token'] ?? '').trim();
}

/** The token the request presents, header first (it wins over the cookie, as in salt-api). */
export function presentedToken(ctx: ApiContext): string | undefined {
  const header = headerToken(ctx);
  if (header) return header;
  return ctx.cookies.get(SESSION_COOKIE) || undefined;
}

/** Whether the token comes from the cookie, which the browser sends on its own, whoever asked. */
export function cookieOnly(ctx: ApiContext): boolean {
  return !headerToken(ctx) && Boolean(ctx.cookies.get(SESSION_COOKIE));
}

/**
 * The cookie's `Path`: `root_prefix`, so the token is sent only to the API and never to other
 * applications on the same host. `/` stays `/`; characters a cookie attribute cannot hold are
 * percent-encoded (as the browser sends them in the request path).
 */
export function cookiePath(rootPrefix: string): string {
  const trimmed = rootPrefix.replace(/\/+$/, '');
  return trimmed === '' ? '/' : encodeURI(trimmed).replace(/;/g, '%3B');
}

/** `Set-Cookie` for a session that lasts as long as its token, sent only below `path`. */
export function sessionCookie(token: string, expire: number, secure: boolean, path = '/'): string {
  const maxAge = Math.max(0, Math.floor(expire - Date.now() / 1000));
  const expires = new Date(expire * 1000).toUTCString();
  return `${SESSION_COOKIE}=${token}; Path=${path}; Expires=${expires}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** `Set-Cookie` that makes the browser drop the session (the same `path` it was set with). */
export function clearedSessionCookie(secure: boolean, path = '/'): string {
  return `${SESSION_COOKIE}=; Path=${path}; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}
