/**
 * The `route` label of an HTTP request: the route template it matched (`/jobs/:jid`, never the
 * jid), or one of a few fixed words for what no route answers. Never the raw URL, so random
 * paths cannot create new series.
 */
import type Router from '@koa/router';
import type { ApiContext, ApiState } from '../state.js';

/** What @koa/router leaves on the context of a request it dispatched. */
interface RoutedContext {
  _matchedRoute?: string | RegExp;
}

export interface RouteLabelOptions {
  router: Router<ApiState>;
  /** `root_prefix` without its trailing slash ('' at the root). */
  prefix: string;
  /** Where `static` is mounted (prefix included), when configured. */
  staticMount?: string;
  /** Where the app page or the console is mounted (prefix included). */
  appMount: string;
  /** `${prefix}/favicon.ico` when `favicon` is configured. */
  faviconPath?: string;
}

function under(path: string, mount: string): boolean {
  return path === mount || path.startsWith(`${mount}/`);
}

/** The template of the last route (not mere middleware) whose path matches, whatever its methods. */
function routeTemplate(router: Router<ApiState>, path: string, method: string): string | undefined {
  const layers = router.match(path, method).path;
  for (let index = layers.length - 1; index >= 0; index--) {
    const layer = layers[index];
    if (layer && layer.methods.length > 0 && typeof layer.path === 'string') return layer.path;
  }
  return undefined;
}

export function routeLabeller(options: RouteLabelOptions): (ctx: ApiContext) => string {
  const { router, staticMount, appMount, faviconPath } = options;
  const events = `${options.prefix}/events`;
  return (ctx) => {
    const matched = (ctx as RoutedContext)._matchedRoute;
    if (typeof matched === 'string') return matched;
    const path = ctx.path;
    // Answered before the router: the SSE stream, files, the app page, or refused early (403,
    // 405, 413, 414...): still named by the route the path belongs to, when there is one.
    if (path === events || path === `${events}/`) return events;
    if (staticMount !== undefined && under(path, staticMount)) return 'static';
    if (faviconPath !== undefined && path === faviconPath) return 'favicon';
    const template = routeTemplate(router, path, ctx.method);
    if (template !== undefined) return template;
    if (under(path, appMount)) return 'app';
    return 'unmatched';
  };
}
