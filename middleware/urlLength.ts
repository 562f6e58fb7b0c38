/**
 * Refuse a URL (path and query) longer than `max_url_length` with 414, before anything parses
 * it: routing, query parsing and the static files all work on the URL, and none of them needs
 * more than a few kilobytes of it.
 */
import type { Next } from 'koa';
import { Errors } from '../src/errors.js';
import type { ApiContext } from '../src/state.js';
import type { SerializerRegistry } from '../serializers/registry.js';
import { answerError } from './errors.js';

export function urlLength(limit: number, registry: SerializerRegistry) {
  return async function limitUrl(ctx: ApiContext, next: Next): Promise<void> {
    // Outside the error handler (it runs first), so it answers on its own.
    if (ctx.url.length > limit) return answerError(ctx, registry, Errors.UrlTooLong(limit));
    await next();
  };
}
