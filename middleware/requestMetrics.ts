/**
 * Times every request and counts it by route template, method and final status for
 * `GET /metrics`. It sits outside the error handler, so the status it sees is the one the client
 * gets.
 */
import type { Next } from 'koa';
import type { ApiContext } from '../src/state.js';

export interface RequestObserver {
  request(route: string, method: string, status: number, seconds: number): void;
}

export function observeRequests(observer: RequestObserver, routeOf: (ctx: ApiContext) => string) {
  return async function observeRequest(ctx: ApiContext, next: Next): Promise<void> {
    const started = performance.now();
    let status = 500;
    try {
      await next();
      status = ctx.status;
    } finally {
      observer.request(routeOf(ctx), ctx.method, status, (performance.now() - started) / 1000);
    }
  };
}
