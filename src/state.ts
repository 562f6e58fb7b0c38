/** What the middleware onion leaves on `ctx.state` for the next layer. */
import type { ParameterizedContext } from 'koa';
import type { Serializer } from '../serializers/types.js';
import type { SaltToken } from './salt/types.js';
import type { ClientAddress } from './clientAddress.js';

export interface ApiState {
  /** The output format chosen from the Accept header. */
  serializer: Serializer;
  /** The caller's token record, once a session/token check passed. */
  token?: SaltToken;
  /** The parsed request body (undefined when there was none). */
  body?: unknown;
  /** The request body as text, for the webhook. */
  rawBody?: string;
  /** The value to render in the negotiated format. */
  reply?: unknown;
  /** The client as seen through trusted proxies; read it with clientIp()/isSecure(). */
  client?: ClientAddress;
  /** This request's `X-Request-Id` (middleware/requestId.ts), set before anything else runs. */
  requestId?: string;
}

export type ApiContext = ParameterizedContext<ApiState>;

/** Answer with `value` rendered in the negotiated format. */
export function reply(ctx: ApiContext, value: unknown, status = 200): void {
  ctx.status = status;
  ctx.state.reply = value;
}
