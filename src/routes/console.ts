/**
 * The built-in console (console/, built into dist/console/): the AppPage at app_path when no
 * `app` option names a page of the user's own. Below the mount, `<name>.js` and `<name>.css`
 * are its files, `config.json` is what the page needs to know about this server, and every other
 * path is the page itself. The page names its files by absolute path (the mount is filled into
 * its HTML), so it works at the API root and at any depth below the mount.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Middleware } from 'koa';
import { Errors } from '../errors.js';
import type { ApiContext, ApiState } from '../state.js';
import type { AppPage } from './app.js';
import type { ConsoleConfigSource } from './consoleConfig.js';

/** Where `npm run build` puts the console: dist/src/routes → dist/console. */
const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

const PAGE_FILE = 'index.html';
const MOUNT_PLACEHOLDER = '%MOUNT%';
const API_PLACEHOLDER = '%API%';
/** A script or stylesheet without directories or dots in its name: nothing outside CONSOLE_DIR. */
const ASSET = /^\/[A-Za-z0-9_-]+\.(?:js|css)$/;

/**
 * Nothing but the console's own files runs or styles the page, it talks only to this origin
 * (fetch and EventSource), and no other site may frame it. `data:` images are the empty favicon.
 */
const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

async function readConsoleFile(name: string): Promise<string | undefined> {
  try {
    return await readFile(path.join(CONSOLE_DIR, name), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export interface ConsoleOptions {
  /** root_prefix + app_path: what request paths are matched against. */
  mount: string;
  /**
   * The mount as the browser addresses it (a proxy's X-Forwarded-Prefix in front), filled into
   * the page so it names its files where the browser can fetch them.
   */
  publicMount(ctx: ApiContext): string;
  /** The API root as the browser addresses it, for the page's link to the API description. */
  publicApi(ctx: ApiContext): string;
  config: ConsoleConfigSource;
  /**
   * What config.json must pass (authorized_ips): it is data about this server, while the page
   * and its files are exempt like any `app` page.
   */
  admit: Middleware<ApiState>;
}

export function consolePage({ mount, publicMount, publicApi, config, admit }: ConsoleOptions): AppPage {
  const below = (ctx: ApiContext): string => (ctx.path.startsWith(`${mount}/`) ? ctx.path.slice(mount.length) : '');

  const answer = (ctx: ApiContext, type: string, body: string, cache: string): void => {
    ctx.status = 200;
    ctx.set({
      'Content-Security-Policy': CONSOLE_CSP,
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': cache,
    });
    ctx.type = type;
    ctx.body = body;
  };

  return {
    async send(ctx) {
      const sub = below(ctx);
      if (sub === '/config.json') {
        // It names the caller's session: never to be kept by a cache.
        return admit(ctx, async () => answer(ctx, 'application/json', JSON.stringify(await config(ctx)), 'no-store'));
      }
      if (ASSET.test(sub)) {
        const name = sub.slice(1);
        const text = await readConsoleFile(name);
        if (text === undefined) throw Errors.NotFound(ctx.path);
        const type = name.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8';
        return answer(ctx, type, text, 'no-cache');
      }
      const page = await readConsoleFile(PAGE_FILE);
      if (page === undefined) throw Errors.NotFound(ctx.path);
      const filled = page.replaceAll(MOUNT_PLACEHOLDER, escapeAttribute(publicMount(ctx))).replaceAll(API_PLACEHOLDER, escapeAttribute(publicApi(ctx)));
      answer(ctx, 'text/html; charset=utf-8', filled, 'no-cache');
    },
  };
}
