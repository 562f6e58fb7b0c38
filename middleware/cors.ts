/**
 * CORS for the origins listed in `cors_origin` (a salt-api-koa option; salt-api reflects every
 * origin with credentials allowed, which lets any web page drive the API with a logged-in
 * browser's cookie). A listed origin is reflected with credentials; `*` answers `*` without
 * credentials (browsers refuse credentials with a wildcard anyway); anything else, or no
 * `cors_origin`, gets no CORS headers. Every OPTIONS request is answered here with 204, before
 * sessions, authentication or the body are looked at.
 */
import type { Next } from 'koa';
import type { ApiContext } from '../src/state.js';

const PREFLIGHT_METHODS = ['GET', 'POST'];
const PREFLIGHT_HEADERS = 'Content-Type, X-Auth-Token, X-Requested-With, Cache-Control';
/** salt-api's value, in seconds. */
const PREFLIGHT_MAX_AGE = '1400';

interface Grant {
  origin: string;
  credentials: boolean;
}

export function cors(setting: string | string[] | undefined) {
  const configured = setting === undefined ? [] : typeof setting === 'string' ? [setting] : setting;
  const listed = new Set(configured.filter((origin) => origin !== '*'));
  const wildcard = configured.includes('*');

  const grant = (origin: string): Grant | undefined => {
    if (origin === '') return undefined;
    if (listed.has(origin)) return { origin, credentials: true };
    return wildcard ? { origin: '*', credentials: false } : undefined;
  };

  return async function applyCors(ctx: ApiContext, next: Next): Promise<void> {
    // The answer depends on Origin whenever specific origins are listed: caches must know.
    if (listed.size > 0) ctx.vary('Origin');
    const granted = grant(ctx.req.headers.origin ?? '');
    if (granted) {
      ctx.set('Access-Control-Allow-Origin', granted.origin);
      if (granted.credentials) ctx.set('Access-Control-Allow-Credentials', 'true');
    }
    if (ctx.method === 'OPTIONS') {
      if (granted && PREFLIGHT_METHODS.includes(ctx.get('Access-Control-Request-Method'))) {
        ctx.set('Access-Control-Allow-Methods', PREFLIGHT_METHODS.join(', '));
        ctx.set('Access-Control-Allow-Headers', PREFLIGHT_HEADERS);
        ctx.set('Access-Control-Max-Age', PREFLIGHT_MAX_AGE);
      }
      ctx.status = 204;
      return;
    }
    if (granted) ctx.set('Access-Control-Expose-Headers', 'X-Auth-Token');
    await next();
  };
}
