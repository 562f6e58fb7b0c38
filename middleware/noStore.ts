/**
 * `Cache-Control: no-store` on the answers that carry credentials or what they buy: `/login` (the
 * token, in the body, a header and the cookie), `/token` (tokens) and `/run` (command output got
 * with credentials in the body). Set before anything below runs and outside the error handler, so
 * every answer on these paths has it, errors (400, 401, 406, 413, 500…) included: the error
 * handler replaces the body and status, never the headers.
 */
import type { Next } from 'koa';
import type { ApiContext } from '../src/state.js';

const SENSITIVE = ['/login', '/token', '/run'];

/** `prefix` is `root_prefix` without its trailing slash. */
export function noStore(prefix: string) {
  // As the router matches them: case-insensitively, with or without a trailing slash.
  const paths = new Set(SENSITIVE.map((path) => `${prefix}${path}`.toLowerCase()));
  return async function preventCaching(ctx: ApiContext, next: Next): Promise<void> {
    if (paths.has(ctx.path.replace(/\/+$/, '').toLowerCase())) ctx.set('Cache-Control', 'no-store');
    await next();
  };
}
