/** Runs `middleware` except for requests `skip` picks out, which go straight on. */
import type { Middleware, Next } from 'koa';
import type { ApiContext, ApiState } from '../src/state.js';

export function skipWhen(skip: (ctx: ApiContext) => boolean, middleware: Middleware<ApiState>): Middleware<ApiState> {
  return (ctx: ApiContext, next: Next) => (skip(ctx) ? next() : middleware(ctx, next));
}
