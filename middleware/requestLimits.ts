/**
 * Refuse a request over the size limits before anything looks at it: a URL (path and query)
 * longer than `max_url_length` gets 414, a declared body over `max_request_body_size` gets 413
 * without being parsed (its bytes are read and thrown away first, within bounds, so the client
 * hears the answer: middleware/discardBody.ts). Routing, query parsing and static files all work
 * on the URL, and none needs more than a few kilobytes of it; a body without a declared length is
 * bounded while it is read (middleware/bodyParser.ts).
 */
import type { Next } from 'koa';
import { Errors } from '../src/errors.js';
import type { ApiContext } from '../src/state.js';
import type { SerializerRegistry } from '../serializers/registry.js';
import { answerError, refuseBody } from './errors.js';

export interface RequestLimits {
  maxUrlLength: number;
  maxBodySize: number;
}

export function requestLimits(limits: RequestLimits, registry: SerializerRegistry) {
  return async function limitRequest(ctx: ApiContext, next: Next): Promise<void> {
    // Outside the error handler (it runs first), so it answers on its own.
    if (ctx.url.length > limits.maxUrlLength) return answerError(ctx, registry, Errors.UrlTooLong(limits.maxUrlLength));
    const declared = ctx.req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limits.maxBodySize) return refuseBody(ctx, registry, limits.maxBodySize);
    await next();
  };
}
