/**
 * `POST <webhook_url>[/<path…>]` (http-api.md §7.14): fires `salt/netapi/hook/<path…>` on the
 * master bus with the request's body and headers and answers whether that worked.
 */
import { Errors } from '../errors.js';
import { reply, type ApiContext } from '../state.js';
import type { ApiRouter, RouteDeps } from './deps.js';
import { hookEventData } from './hookEvent.js';
import { clientIp } from '../../middleware/clientIp.js';

/** The tag prefix is fixed, whatever `webhook_url` is. */
const TAG_BASE = 'salt/netapi/hook';
/** salt-api answers `success: false` when the bus cannot be reached within a second. */
const FIRE_TIMEOUT_MS = 1000;

const UNSAFE_SEGMENT = /[\u0000-\u001f\u007f]/;

/**
 * The decoded path below the mount point as tag segments (one trailing slash tolerated, as on
 * every endpoint); undefined for empty, `.`, `..` or control-character segments.
 */
export function hookSegments(path: string | undefined): string[] | undefined {
  if (path === undefined || path === '') return [];
  const segments = path.split('/');
  if (segments.at(-1) === '') segments.pop();
  const sane = segments.every((s) => s !== '' && s !== '.' && s !== '..' && !UNSAFE_SEGMENT.test(s));
  return sane ? segments : undefined;
}

function withinTimeout(fired: Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), FIRE_TIMEOUT_MS);
  });
  return Promise.race([fired, timeout]).finally(() => clearTimeout(timer));
}

export function registerHook(router: ApiRouter, deps: RouteDeps): void {
  const auth = deps.settings.api.webhook_disable_auth ? [] : [deps.requireSession];
  router.post(`${deps.settings.api.webhook_url}{/*path}`, ...auth, deps.parseBody, async (ctx: ApiContext) => {
    const segments = hookSegments(ctx.params.path);
    if (!segments) throw Errors.NotFound();
    const data = hookEventData({
      rawBody: ctx.state.rawBody,
      body: ctx.state.body,
      headers: ctx.req.headersDistinct,
      peer: clientIp(ctx),
    });
    const success = await withinTimeout(deps.salt.bus.fire([TAG_BASE, ...segments].join('/'), data));
    reply(ctx, { success });
  });
}
