/** Refuse a body whose declared length is over the limit before reading any of it (413). */
import type { Next } from 'koa';
import { Errors } from '../src/errors.js';
import type { ApiContext } from '../src/state.js';

export function bodyLimit(limit: number) {
  return async function limitBody(ctx: ApiContext, next: Next): Promise<void> {
    const declared = Number(ctx.get('Content-Length') || 0);
    if (declared > limit) throw Errors.BodyTooLarge(limit);
    await next();
  };
}
