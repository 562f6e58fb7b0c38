/**
 * The checks on a WebSocket upgrade request, made before the 101 is sent so a refusal is a plain
 * HTTP answer (http-api.md §7.16): the path, `authorized_ips`, the token (path, query, header
 * or cookie; hex first, then the master), and the query (`tag` filters, `format_events`).
 *
 * Browsers let any page open a WebSocket to any host and send the cookie along (CORS does not
 * apply). So a connection that authenticates with the session cookie must come from our own
 * origin or one listed in `cors_origin` (src/origin.ts, the check cookie-authenticated POSTs get
 * too); a token in the path, query or header proves the client chose to send it.
 */
import { IpRanges, resolveClient } from '../clientAddress.js';
import { OriginPolicy } from '../origin.js';
import { Errors } from '../errors.js';
import type { TokenAuthority } from '../salt/tokens.js';
import type { ApiContext } from '../state.js';
import { authenticateStream, streamCredential } from './streamAuth.js';
import { tagFilter } from './tagFilter.js';
import { apiAclAllows } from '../routes/apiAcl.js';
import type { ApiAcl } from '../config/types.js';
import type { WsGrant } from './wsSession.js';

export interface WsGateOptions {
  /** `root_prefix` without its trailing slash. */
  prefix: string;
  tokens: TokenAuthority;
  trustedProxies: readonly string[];
  authorizedIps?: readonly string[];
  corsOrigin?: string | string[];
  apiAcl?: ApiAcl;
}

export interface WsGate {
  /** The path token of `/ws/<token>`, `{}` for `/ws`, undefined when the path is not ours. */
  match(path: string): { token?: string } | undefined;
  admit(ctx: ApiContext, pathToken: string | undefined): Promise<WsGrant>;
}

export function wsGate(options: WsGateOptions): WsGate {
  const base = `${options.prefix}/ws`;
  const trusted = new IpRanges(options.trustedProxies);
  const authorized = options.authorizedIps === undefined ? undefined : new IpRanges(options.authorizedIps);
  const origins = new OriginPolicy({ corsOrigin: options.corsOrigin, trustedProxies: options.trustedProxies });

  return {
    match(path) {
      if (path === base || path === `${base}/`) return {};
      if (!path.startsWith(`${base}/`)) return undefined;
      const token = /^([^/]+)\/?$/.exec(path.slice(base.length + 1))?.[1];
      return token === undefined ? undefined : { token };
    },

    async admit(ctx, pathToken) {
      if (authorized && !authorized.has(resolveClient(ctx.req, trusted).ip)) throw Errors.BadIp();
      const credential = streamCredential(ctx, pathToken);
      if (credential.ambient && !origins.admits(ctx.req)) throw Errors.OriginRefused();
      const client = resolveClient(ctx.req, trusted).ip;
      const token = await authenticateStream(options.tokens, credential, (username) => apiAclAllows(options.apiAcl, username, () => client), client);
      return { token, filter: tagFilter(ctx.query.tag), formatEvents: ctx.query.format_events !== undefined };
    },
  };
}
