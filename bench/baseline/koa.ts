/**
 * The GET / baseline: a bare Koa app (no router, no middleware) answering every request with the
 * bytes and headers the API answered, which the bench captured and passes as one JSON argument:
 *
 *   node dist/bench/baseline/koa.js '{"headers": {"content-type": "..."}, "body": "<base64>"}'
 */
import Koa from 'koa';
import { serve } from './serve.js';

interface CannedReply {
  headers: Record<string, string>;
  body: string;
}

function isCannedReply(value: unknown): value is CannedReply {
  if (typeof value !== 'object' || value === null) return false;
  const { headers, body } = value as Partial<Record<keyof CannedReply, unknown>>;
  return (
    typeof body === 'string' &&
    typeof headers === 'object' &&
    headers !== null &&
    Object.values(headers).every((header) => typeof header === 'string')
  );
}

const reply: unknown = JSON.parse(process.argv[2] ?? 'null');
if (!isCannedReply(reply)) throw new Error('usage: koa.js \'{"headers": {...}, "body": "<base64>"}\'');
const { headers } = reply;
const body = Buffer.from(reply.body, 'base64');

const app = new Koa();
app.use((ctx) => {
  // Headers first: Koa then keeps their Content-Type instead of guessing one from the body.
  ctx.set(headers);
  ctx.body = body;
});
await serve(app.callback());
