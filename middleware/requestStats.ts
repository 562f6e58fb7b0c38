/**
 * Counts every request and its final status for `GET /stats`. It sits outside the error handler,
 * so the status it sees is the one the client gets.
 */
import type { Next } from 'koa';
import type { ServerStats } from '../src/stats/serverStats.js';
import type { ApiContext } from '../src/state.js';

export function countRequests(stats: ServerStats) {
  return async function countRequest(ctx: ApiContext, next: Next): Promise<void> {
    stats.requestStarted();
    let status = 500;
    try {
      await next();
      status = ctx.status;
    } finally {
      stats.requestFinished(status);
    }
  };
}
