/**
 * The built-in console (console/, built into dist/console/): the AppPage at app_path when no
 * `app` option names a page of the user's own. Below the mount, `<name>.js` and `<name>.css`
 * are its files, `config.json` is what the page needs to know about this server, and every other
 * path is the page itself. The page names its files by absolute path (the mount is filled into
 * its HTML), so it works at the API root and at any depth below the mount.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Errors } from '../errors.js';
import type { ApiContext } from '../state.js';
import type { AppPage } from './app.js';
import type { ConsoleConfigSource } from './consoleConfig.js';

/** Where `npm run build` puts the console: dist/src/routes → dist/console. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

const PAGE_FILE = 'index.html';
const MOUNT_PLACEHOLDER = '%MOUNT%';
/** A file name without directories or dots of its own: nothing outside CONSOLE_DIR is reachable. */
const ASSET = /^\/([A-Za-z0-9_-]+)\.(js|css)$/;
const ASSET_TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/**
 * Nothing but the console's own files runs or styles the page, it talks only to this origin
 * (fetch and EventSource), and no other site may frame it. `data:` images are the empty favicon.
 */
export const CONSOLE_CSP = [
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

async function readConsoleFile(dir: string, name: string): Promise<string | undefined> {
  try {
    return await readFile(path.join(dir, name), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export interface ConsoleOptions {
  /** root_prefix + app_path. */
  mount: string;
  config: ConsoleConfigSource;
  /** The built console; CONSOLE_DIR unless a test points elsewhere. */
  dir?: string;
}

export function consolePage({ mount, config, dir = CONSOLE_DIR }: ConsoleOptions): AppPage {
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
        return answer(ctx, 'application/json', JSON.stringify(await config(ctx)), 'no-store');
      }
      const asset = ASSET.exec(sub);
      if (asset) {
        const [, name = '', extension = ''] = asset;
        const text = await readConsoleFile(dir, `${name}.${extension}`);
        if (text === undefined) throw Errors.NotFound(ctx.path);
        return answer(ctx, ASSET_TYPES[extension] ?? 'text/plain; charset=utf-8', text, 'no-cache');
      }
      const page = await readConsoleFile(dir, PAGE_FILE);
      if (page === undefined) throw Errors.NotFound(ctx.path);
      answer(ctx, 'text/html; charset=utf-8', page.replaceAll(MOUNT_PLACEHOLDER, escapeAttribute(mount)), 'no-cache');
    },
  };
}
