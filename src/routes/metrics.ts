/**
 * `GET /metrics`: Prometheus text exposition (src/metrics). Access as for `/stats`: a session
 * unless `metrics_disable_auth`. The answer is that text whatever the Accept header says
 * (Prometheus offers OpenMetrics first and `*\/*` last); only errors are rendered as data.
 */
import type { Next } from 'koa';
import type { MetricsExposition } from '../metrics/exposition.js';
import type { ApiContext } from '../state.js';
import type { ApiRouter, RouteDeps } from './deps.js';

const BEARER = /^Bearer +(\S+)$/i;

/**
 * Prometheus's `authorization` scrape option, the only way Prometheus 2 sends a credential, puts
 * the token in `Authorization: Bearer <token>`: here it counts as `X-Auth-Token`, which wins.
 */
async function bearerToken(ctx: ApiContext, next: Next): Promise<void> {
  const bearer = BEARER.exec(ctx.get('Authorization'));
  if (bearer && !ctx.get('X-Auth-Token')) ctx.req.headers['x-auth-token'] = bearer[1];
  await next();
}

/** `exposition`: this process's metrics, or every worker's. */
export function registerMetrics(router: ApiRouter, deps: RouteDeps, exposition: MetricsExposition): void {
  const auth = deps.settings.api.metrics_disable_auth ? [] : [bearerToken, deps.requireSession];
  router.get('/metrics', ...auth, async (ctx) => {
    const text = await exposition.text();
    ctx.res.setHeader('Content-Type', exposition.contentType);
    // Figures of this moment: no cache may answer the next scrape.
    ctx.res.setHeader('Cache-Control', 'no-store');
    ctx.body = text;
  });
}
