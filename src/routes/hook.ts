/**
 * `POST <webhook_url>[/<path…>]` (http-api.md §7.14): fires `salt/netapi/hook/<path…>` on the
 * master bus with the request's body and headers and answers whether that worked.
 */
import { Errors } from '../errors.js';
import { reply, type ApiContext } from '../state.js';
import type { ApiRouter, RouteDeps } from './deps.js';
import { hookEventData } from './hookEvent.js';
import type { FireOutcome } from '../salt/eventFirer.js';
import { clientIp } from '../../middleware/clientIp.js';

/** The tag prefix is fixed, whatever `webhook_url` is. */
const TAG_BASE = 'salt/netapi/hook';

/** Why an event did not reach the bus, for the operator (the client gets salt-api's `success: false`). */
const NOT_PUBLISHED: Record<Exclude<FireOutcome, 'published'>, string> = {
  unreachable: "the master's event bus cannot be reached",
  unconfirmed:
    'the master did not republish it in time; it may be lost (a wrong event_pull_framing, or a master too busy); the framing is probed again for the next event',
  undetected:
    "the master republished a probe event in neither framing; check that this user can read and write the master's bus sockets, or set rest_koa.event_pull_framing",
};

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
    const tag = [TAG_BASE, ...segments].join('/');
    const outcome = await deps.salt.bus.fire(tag, data);
    if (outcome !== 'published') deps.salt.log.error(`webhook event ${tag} not published: ${NOT_PUBLISHED[outcome]}`);
    reply(ctx, { success: outcome === 'published' });
  });
}
