/**
 * Picks the output format from the Accept header before anything runs (salt-api runs the job
 * and only then answers 406; we refuse first), and renders `ctx.state.reply` on the way out:
 * whole, or streamed when it is big (middleware/replyBody.ts).
 */
import type { Next } from 'koa';
import { Errors } from '../src/errors.js';
import type { ApiContext } from '../src/state.js';
import { contentTypeOf, type SerializerRegistry } from '../serializers/registry.js';
import { renderReply } from './replyBody.js';

/**
 * `unnegotiated` marks requests whose answer is not data (salt-api turns negotiation off for
 * `POST /keys`, which answers a tar archive): they get the default format for their errors
 * instead of a 406 for, say, `Accept: application/x-tar`.
 */
export function negotiate(registry: SerializerRegistry, unnegotiated: (ctx: ApiContext) => boolean = () => false) {
  return async function negotiateFormat(ctx: ApiContext, next: Next): Promise<void> {
    ctx.state.serializer = unnegotiated(ctx) ? registry.renderers()[0]! : registry.negotiate(ctx.req.headers.accept || undefined);
    await next();
    if (ctx.state.reply === undefined) return;
    const serializer = ctx.state.serializer;
    if (!serializer.render) throw Errors.Unexpected();
    let rendered: Awaited<ReturnType<typeof renderReply>>;
    try {
      rendered = await renderReply(serializer, ctx.state.reply);
    } catch {
      throw Errors.NotSerializable();
    }
    // Set by header before the body, so Koa neither adds a charset (salt-api sends exactly the
    // media type) nor looks the type up again; straight on the response, as every answer passes
    // here and Koa's ctx.set() allocates for its multi-header form on each call.
    ctx.res.setHeader('Content-Type', contentTypeOf(serializer));
    ctx.body = rendered;
  };
}
