/**
 * Counts every request and its final status for `GET /stats`, and times it by route template,
 * method and status for `GET /metrics`: one layer for both, as every request passes it. It sits
 * outside the error handler, so the status it sees is the one the client gets.
 */
import type { Next } from 'koa';
import type { ServerStats } from '../src/stats/serverStats.js';
import type { ApiContext } from '../src/state.js';

export interface RequestObserver {
  request(route: string, method: string, status: number, seconds: number): void;
}

/** Who hears of every request, and the route label it is filed under. */
export interface RequestTiming {
  observer: RequestObserver;
  routeOf(ctx: ApiContext): string;
}

export function countRequests(stats: ServerStats, timing?: RequestTiming) {
  return async function countRequest(ctx: ApiContext, next: Next): Promise<void> {
    stats.requestStarted();
    const started = performance.now();
    let status = 500;
    try {
      await next();
      status = ctx.status;
    } finally {
      stats.requestFinished(status);
      timing?.observer.request(timing.routeOf(ctx), ctx.method, status, (performance.now() - started) / 1000);
    }
  };
}
