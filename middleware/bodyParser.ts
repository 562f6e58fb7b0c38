/**
 * Reads the request body (bounded by the size limit, 413 past it) and parses it with the
 * serializer registered for its Content-Type (406 when there is none). The text must be valid
 * UTF-8 (400 otherwise). No body at all leaves `ctx.state.body` undefined.
 */
import type { IncomingMessage } from 'node:http';
import type { Next } from 'koa';
import getRawBody from 'raw-body';
import { Errors } from '../src/errors.js';
import type { ApiContext } from '../src/state.js';
import type { SerializerRegistry } from '../serializers/registry.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined && length !== '') return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

export function parseBody(registry: SerializerRegistry, options: { limit: number; maxDepth: number }) {
  return async function parseRequestBody(ctx: ApiContext, next: Next): Promise<void> {
    if (hasBody(ctx.req)) {
      const contentType = ctx.req.headers['content-type'];
      const parser = contentType ? registry.parserFor(contentType) : undefined;
      if (!parser) throw Errors.UnsupportedContentType();
      const limit = Math.min(options.limit, parser.bodyLimit ?? Infinity);
      const raw = await getRawBody(ctx.req, { limit, length: ctx.req.headers['content-length'] });
      const parseOptions = { maxDepth: options.maxDepth };
      // A binary format reads the bytes; there is no text to keep for the webhook's `body`.
      if (parser.parseBytes) {
        ctx.state.body = raw.length === 0 ? undefined : parser.parseBytes(raw, parseOptions);
        return next();
      }
      if (!parser.parse) throw Errors.UnsupportedContentType();
      let text: string;
      try {
        text = utf8.decode(raw);
      } catch {
        throw Errors.InvalidEncoding();
      }
      ctx.state.rawBody = text;
      ctx.state.body = raw.length === 0 ? undefined : parser.parse(text, parseOptions);
    }
    await next();
  };
}
