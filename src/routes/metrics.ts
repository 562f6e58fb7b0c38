/**
 * `GET /metrics`: Prometheus text exposition (src/metrics). Access as for `/stats`: a session
 * unless `metrics_disable_auth`. The answer is that text whatever the Accept header says
 * (Prometheus offers OpenMetrics first and `*\/*` last); only errors are rendered as data.
 */
import type { ApiRouter, RouteDeps } from './deps.js';

export function registerMetrics(router: ApiRouter, deps: RouteDeps): void {
  const auth = deps.settings.api.metrics_disable_auth ? [] : [deps.requireSession];
  router.get('/metrics', ...auth, async (ctx) => {
    const text = await deps.exposition.text();
    ctx.res.setHeader('Content-Type', deps.exposition.contentType);
    // Figures of this moment: no cache may answer the next scrape.
    ctx.res.setHeader('Cache-Control', 'no-store');
    ctx.body = text;
  });
}
