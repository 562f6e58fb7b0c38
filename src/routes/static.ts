/**
 * The `static` directory under `static_path` (koa-static: no directory listing, no dotfiles,
 * nothing outside the directory) and the `favicon` file at /favicon.ico. Neither needs a
 * session, and neither is subject to `authorized_ips` (as in salt-api).
 */
import type { Middleware, Next } from 'koa';
import serve from 'koa-static';
import type { ApiContext, ApiState } from '../state.js';
import { sendFile } from './sendFile.js';
import { Errors } from '../errors.js';

/** Refusals of koa-send for hostile paths: `..` segments (403), NUL bytes and bad escapes (400). */
function isRefusedPath(error: unknown): boolean {
  const status = typeof error === 'object' && error !== null ? (error as { status?: unknown }).status : undefined;
  return status === 400 || status === 403;
}

/**
 * Files of `root` at `mount` + their path below it. Anything below the mount that is not served
 * is a 404 at once, whatever the Accept header says (SaltGUI asks for files with `text/plain`,
 * which content negotiation would have answered 406).
 */
export function staticFiles(root: string, mount: string): Middleware<ApiState> {
  const send = serve(root, { index: false, gzip: false, brotli: false });
  const below = `${mount}/`;
  return async function serveStatic(ctx: ApiContext, next: Next): Promise<void> {
    const original = ctx.path;
    if (!original.startsWith(below)) return next();
    let served = true;
    // koa-static resolves ctx.path against its root: show it the path below the mount point.
    ctx.path = original.slice(mount.length);
    try {
      await send(ctx, async () => {
        served = false;
      });
    } catch (error) {
      // A traversal attempt gets the same 404 as a missing file: nothing to learn from it.
      if (!isRefusedPath(error)) throw error;
      served = false;
    } finally {
      ctx.path = original;
    }
    if (!served) throw Errors.NotFound(original);
  };
}

export function favicon(file: string, at: string): Middleware<ApiState> {
  return async function serveFavicon(ctx: ApiContext, next: Next): Promise<void> {
    if (ctx.path === at && (ctx.method === 'GET' || ctx.method === 'HEAD') && (await sendFile(ctx, file))) return;
    await next();
  };
}
