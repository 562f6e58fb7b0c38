/**
 * `GET /stats` (http-api.md §7.17): salt-api returns CherryPy's statistics tree, whose content is
 * implementation-specific; we return this server's own figures as one JSON object.
 */
import { reply } from '../state.js';
import type { ApiRouter, RouteDeps } from './deps.js';

export function registerStats(router: ApiRouter, deps: RouteDeps): void {
  const auth = deps.settings.api.stats_disable_auth ? [] : [deps.requireSession];
  router.get('/stats', ...auth, (ctx) => {
    reply(ctx, {
      ...deps.stats.snapshot(),
      event_bus: { connected: deps.salt.bus.connected, reconnects: deps.salt.bus.reconnects },
      master_round_trip_ms: deps.salt.master.roundTrips.percentiles(),
      rss_bytes: process.memoryUsage.rss(),
    });
  });
}
