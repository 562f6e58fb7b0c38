/**
 * The app endpoint (http-api.md §7.18): one page at `app_path` and every path below it (HTML5
 * history), no session needed. With `htmlOverride` (salt-api's html_override tool, on when the
 * `app` option is set) a browser navigating anywhere else in the API gets the page as well.
 * What the page is comes from an AppPage, so another page source can be plugged in.
 */
import type { Middleware, Next } from 'koa';
import { Errors } from '../errors.js';
import type { ApiContext, ApiState } from '../state.js';
import { sendFile } from './sendFile.js';

export interface AppPage {
  /** Answer the request with the page. */
  send(ctx: ApiContext): Promise<void>;
}

/** The file named by the `app` option. */
export function appFile(file: string): AppPage {
  return {
    async send(ctx) {
      if (!(await sendFile(ctx, file))) throw Errors.NotFound(ctx.path);
    },
  };
}

export interface AppRouteOptions {
  /** root_prefix without its trailing slash ('' for `/`). */
  prefix: string;
  appPath: string;
  /** Paths that keep their own answer under html_override (static files, event streams). */
  exempt: string[];
  htmlOverride: boolean;
  /**
   * A browser navigating to the API root gets the page even without htmlOverride (the built-in
   * console); every other client keeps the JSON welcome there.
   */
  rootPage?: boolean;
}

function isUnder(path: string, mount: string): boolean {
  return path === mount || path.startsWith(mount.endsWith('/') ? mount : `${mount}/`);
}

// Whether the client explicitly asks for text/html. salt-api let wildcards count too (only an
// Accept of exactly */* was left alone), which hands the page to API clients sending e.g.
// `application/json, text/plain, */*`; browsers navigate with an explicit text/html.
export function wantsHtml(accept: string): boolean {
  return accept.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((part) => part.trim());
    if (type.toLowerCase() !== 'text/html') return false;
    const q = params.find((param) => /^q\s*=/i.test(param));
    return q === undefined || Number(q.replace(/^q\s*=\s*/i, '')) > 0;
  });
}

/** A browser loading a page into a tab or frame (Fetch Metadata), not a script or a library asking. */
function isNavigation(ctx: ApiContext): boolean {
  return ctx.get('Sec-Fetch-Mode') === 'navigate' || ctx.get('Sec-Fetch-Dest') === 'document';
}

export function appRoute(page: AppPage, options: AppRouteOptions): Middleware<ApiState> {
  const appMount = `${options.prefix}${options.appPath}`;
  const exempt = [appMount, ...options.exempt.map((path) => `${options.prefix}${path}`)];
  const apiRoot = options.prefix || '/';

  const covered = (path: string): boolean =>
    options.htmlOverride
      ? isUnder(path, apiRoot) && !exempt.some((mount) => isUnder(path, mount))
      : options.rootPage === true && (path === apiRoot || path === `${options.prefix}/`);

  // The user's own app takes what salt-api's html_override took; the built-in console only a
  // browser's navigation, since some clients (Java's HttpURLConnection) list text/html first.
  const overridden = (ctx: ApiContext): boolean =>
    (ctx.method === 'GET' || ctx.method === 'HEAD') &&
    covered(ctx.path) &&
    wantsHtml(ctx.get('Accept')) &&
    (options.htmlOverride || isNavigation(ctx));

  return async function serveApp(ctx: ApiContext, next: Next): Promise<void> {
    if (isUnder(ctx.path, appMount)) {
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
        ctx.set('Allow', 'GET, HEAD');
        throw Errors.MethodNotAllowed();
      }
      return page.send(ctx);
    }
    if (overridden(ctx)) return page.send(ctx);
    await next();
  };
}
