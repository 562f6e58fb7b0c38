/**
 * Turns every error into its status and a `{"status": <code>, "return": "<message>"}` body in
 * the negotiated format (salt-api sends HTML pages; a JSON client gets data from us). A 500
 * never carries a stack trace unless `debug` is on.
 */
import type { Next } from 'koa';
import { ApiError, Errors } from '../src/errors.js';
import type { Logger } from '../src/log.js';
import type { ApiContext } from '../src/state.js';
import { redactUrl } from '../src/redactUrl.js';
import { contentTypeOf, type SerializerRegistry } from '../serializers/registry.js';
import { discardBody, discardLimits } from './discardBody.js';

/** Errors thrown by libraries below us (raw-body, koa) carry an HTTP status of their own. */
function fromHttpError(error: unknown, limit: number): ApiError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, type } = error as { status?: number; type?: string };
  if (status === 413 || type === 'entity.too.large') return Errors.BodyTooLarge(limit);
  if (type === 'request.aborted') return Errors.BadRequest('Request aborted');
  if (status === 400) return Errors.BadRequest('Malformed request');
  return undefined;
}

/** Answer `error` as data in `serializer`'s format (the default format when there is none yet). */
export function answerError(ctx: ApiContext, registry: SerializerRegistry, error: ApiError): void {
  const serializer = ctx.state.serializer ?? registry.renderers()[0];
  ctx.status = error.status;
  // An oversized body was read and thrown away before this answer, but only within bounds
  // (middleware/discardBody.ts): the rest of it may still be coming, so the connection ends here.
  if (error.status === 413) ctx.set('Connection', 'close');
  for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
  ctx.state.reply = undefined;
  ctx.body = serializer.render ? serializer.render({ status: error.status, return: error.message }) : error.message;
  ctx.set('Content-Type', contentTypeOf(serializer));
}

/**
 * The 413 for a body over `bodyLimit`, once the rest of the body has been read and thrown away
 * (middleware/discardBody.ts): a client, or nginx, that is still sending gets the answer, not a
 * connection reset (which nginx turns into a 502).
 */
export async function refuseBody(ctx: ApiContext, registry: SerializerRegistry, bodyLimit: number, error = Errors.BodyTooLarge(bodyLimit)): Promise<void> {
  await discardBody(ctx.req, discardLimits(bodyLimit));
  answerError(ctx, registry, error);
}

export function errorHandler(registry: SerializerRegistry, options: { debug: boolean; bodyLimit: number; log: Logger }) {
  return async function handleErrors(ctx: ApiContext, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.body === undefined && ctx.state.reply === undefined) {
        // Nothing answered: the router left a bare status (and its Allow header) behind.
        if (ctx.status === 404) throw Errors.NotFound(ctx.path);
        if (ctx.status === 405 || ctx.status === 501) throw Errors.MethodNotAllowed();
      }
    } catch (caught) {
      let error = caught instanceof ApiError ? caught : fromHttpError(caught, options.bodyLimit);
      if (!error) {
        options.log.error(`unexpected error on ${ctx.method} ${redactUrl(ctx.path)}`, { request_id: ctx.state.requestId, error: caught instanceof Error ? (caught.stack ?? caught.message) : String(caught) });
        error = Errors.Unexpected();
        if (options.debug && caught instanceof Error) error = new ApiError(error.code, 500, caught.stack ?? caught.message);
      }
      if (error.status === 413) await refuseBody(ctx, registry, options.bodyLimit, error);
      else answerError(ctx, registry, error);
    }
  };
}
