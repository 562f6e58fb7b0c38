/**
 * Reads the request body (bounded by the size limit, 413 past it) and parses it with the
 * serializer registered for its Content-Type (406 when there is none). The text must be valid
 * UTF-8 (400 otherwise). No body at all leaves `ctx.state.body` undefined.
 */
import type { Next } from 'koa';
import getRawBody from 'raw-body';
import { Errors } from '../src/errors.js';
import type { ApiContext } from '../src/state.js';
import type { SerializerRegistry } from '../serializers/registry.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function hasBody(ctx: ApiContext): boolean {
  const length = ctx.get('Content-Length');
  if (length !== '') return Number(length) > 0;
  return ctx.get('Transfer-Encoding') !== '';
}

export function parseBody(registry: SerializerRegistry, options: { limit: number; maxDepth: number }) {
  return async function parseRequestBody(ctx: ApiContext, next: Next): Promise<void> {
    if (hasBody(ctx)) {
      const contentType = ctx.get('Content-Type');
      const parser = contentType ? registry.parserFor(contentType) : undefined;
      if (!parser?.parse) throw Errors.UnsupportedContentType();
      const limit = Math.min(options.limit, parser.bodyLimit ?? Infinity);
      const raw = await getRawBody(ctx.req, { limit, length: ctx.get('Content-Length') || undefined });
      let text: string;
      try {
        text = utf8.decode(raw);
      } catch {
        throw Errors.InvalidEncoding();
      }
      ctx.state.rawBody = text;
      ctx.state.body = raw.length === 0 ? undefined : parser.parse(text, { maxDepth: options.maxDepth });
    }
    await next();
  };
}
