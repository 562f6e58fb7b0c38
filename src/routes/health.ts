/**
 * `GET /healthz` (the process serves) and `GET /readyz` (the master answers and its event bus is
 * connected), for load balancers and orchestrators. They sit before `authorized_ips`: a probe
 * comes from the balancer's own address and both answers reveal nothing a client could use.
 * They need no session, read no body and never answer 406: a format the prober does not accept
 * gets JSON.
 */
import Router from '@koa/router';
import type { Middleware, Next } from 'koa';
import { Errors } from '../errors.js';
import type { Readiness } from '../health/readiness.js';
import type { ApiContext, ApiState } from '../state.js';
import { contentTypeOf, type SerializerRegistry } from '../../serializers/registry.js';
import type { Serializer } from '../../serializers/types.js';

const HEALTH_PATHS = ['/healthz', '/readyz'];

/** The Accept header's choice, or the default format rather than a 406 or 400. */
function lenientFormat(registry: SerializerRegistry, accept: string | undefined): Serializer {
  try {
    return registry.negotiate(accept);
  } catch {
    return registry.renderers()[0]!;
  }
}

function answer(ctx: ApiContext, registry: SerializerRegistry, status: number, value: unknown): void {
  const serializer = lenientFormat(registry, ctx.req.headers.accept || undefined);
  ctx.state.serializer = serializer;
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Content-Type', contentTypeOf(serializer));
  ctx.body = serializer.render!(value);
}

/** A router of its own, mounted ahead of `authorized_ips` and Accept negotiation (src/app.ts). */
export function healthRouter(prefix: string, registry: SerializerRegistry, readiness: Readiness): Router<ApiState> {
  const router = new Router<ApiState>({ prefix: prefix || undefined, strict: false });
  // @koa/router answers HEAD from the GET route, without the body.
  router.get('/healthz', (ctx) => answer(ctx, registry, 200, { status: 'ok' }));
  router.get('/readyz', async (ctx) => {
    const report = await readiness.check();
    answer(ctx, registry, report.status === 'ready' ? 200 : 503, report);
  });
  return router;
}

function healthPaths(prefix: string): Set<string> {
  return new Set(HEALTH_PATHS.flatMap((p) => [`${prefix}${p}`, `${prefix}${p}/`]));
}

/** Whether a request is a health check, which the access log and /stats leave out unless told. */
export function isHealthCheck(prefix: string): (ctx: ApiContext) => boolean {
  const paths = healthPaths(prefix);
  return (ctx) => (ctx.method === 'GET' || ctx.method === 'HEAD') && paths.has(ctx.path);
}

/** 405 for any other method on a health path, here rather than after authorized_ips turned it into a 403. */
export function refuseOtherMethods(prefix: string): Middleware<ApiState> {
  const paths = healthPaths(prefix);
  return async (ctx: ApiContext, next: Next) => {
    if (!paths.has(ctx.path) || ctx.method === 'GET' || ctx.method === 'HEAD') return next();
    ctx.set('Allow', 'HEAD, GET');
    throw Errors.MethodNotAllowed();
  };
}
