/**
 * The event streams: `GET /events` (SSE, http-api.md §7.15) and `GET /ws`, `GET /ws/<token>`
 * (WebSocket, §7.16), both fed by one EventHub per app, that is one bus subscription per process.
 *
 * registerEvents() mounts the SSE endpoint as app middleware and the WebSocket session on
 * koa-websocket's stack (`app.ws`); attachEventStreams() then hands the HTTP server's upgrade
 * requests to it, after the checks that must answer before the 101 (wsGate).
 */
import { ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Server as TlsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type Koa from 'koa';
import type { Next } from 'koa';
import websockify from 'koa-websocket';
import { rawErrorAnswer } from '../clientError.js';
import { clientIp } from '../../middleware/clientIp.js';
import { requestIdOf } from '../../middleware/requestId.js';
import { IpRanges } from '../clientAddress.js';
import { Errors, isApiError, type ApiError } from '../errors.js';
import { EventHub } from '../events/hub.js';
import { SSE_CONTENT_TYPE, openSseStream } from '../events/sse.js';
import { authenticateStream, streamCredential } from '../events/streamAuth.js';
import { describeEnd } from '../events/streamEvent.js';
import { tagFilter } from '../events/tagFilter.js';
import { wsGate } from '../events/wsGate.js';
import { serveWebsocket, type WsGrant } from '../events/wsSession.js';
import type { ApiContext, ApiState } from '../state.js';
import type { RouteDeps } from './deps.js';

/** Client messages are a few words; nothing bigger is read. */
const MAX_WS_MESSAGE_BYTES = 64 * 1024;
const GOING_AWAY = 1001;

interface Registration {
  hub: EventHub;
  ws: websockify.Server<ApiState>;
  deps: RouteDeps;
}

/** What registerEvents() set up for an app, for attachEventStreams() to find. */
const registrations = new WeakMap<Koa<ApiState>, Registration>();
/** What the upgrade checks granted, handed to the session koa-websocket starts for the request. */
const grants = new WeakMap<IncomingMessage, WsGrant>();

function rootPrefix(deps: RouteDeps): string {
  return deps.settings.api.root_prefix.replace(/\/+$/, '');
}

/** The Last-Event-ID header as a number; NaN for one that is no id of ours (then nothing is replayed). */
function lastEventId(ctx: ApiContext): number | undefined {
  const header = ctx.get('Last-Event-ID').trim();
  if (header === '') return undefined;
  return /^\d{1,16}$/.test(header) ? Number(header) : Number.NaN;
}

function eventsEndpoint(deps: RouteDeps, hub: EventHub) {
  const path = `${rootPrefix(deps)}/events`;
  const heartbeatMs = deps.settings.api.events_heartbeat * 1000;
  return async function serveEvents(ctx: ApiContext, next: Next): Promise<void> {
    if (ctx.path !== path && ctx.path !== `${path}/`) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.set('Allow', 'GET, HEAD');
      throw Errors.MethodNotAllowed();
    }
    const token = await authenticateStream(deps.salt.tokens, streamCredential(ctx), deps.callerOf(ctx).admits, clientIp(ctx));
    const filter = tagFilter(ctx.query.tag);
    ctx.status = 200;
    ctx.set({ 'Content-Type': SSE_CONTENT_TYPE, 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    if (ctx.method === 'HEAD') return;
    // The stream lasts as long as the token: no idle timeout may cut it.
    ctx.req.socket.setTimeout(0);
    const stream = openSseStream({
      hub,
      filter,
      lastEventId: lastEventId(ctx),
      heartbeatMs,
      tokens: deps.salt.tokens,
      token,
      response: ctx.res,
      onClose: deps.stats.trackEventStream('sse'),
      onCutOff: (reason) => deps.metrics?.streamCutOff('sse', reason),
    });
    if (!stream) throw Errors.ShuttingDown();
    ctx.body = stream;
  };
}

/**
 * Mount the event streams on `app`. Call it before Accept negotiation: an EventSource always
 * sends `Accept: text/event-stream`, and salt-api never negotiated these endpoints.
 */
export function registerEvents(app: Koa<ApiState>, deps: RouteDeps): void {
  const hub = new EventHub(deps.salt.bus, {
    ringSize: deps.settings.api.events_ring_size,
    ringBytes: deps.settings.api.events_ring_bytes,
    observer: deps.metrics,
  });
  app.use(eventsEndpoint(deps, hub));
  const { ws } = websockify(app);
  ws.use((ctx) => {
    const grant = grants.get(ctx.req);
    grants.delete(ctx.req);
    if (!grant) return ctx.websocket.close(GOING_AWAY);
    serveWebsocket(ctx.websocket, {
      ...grant,
      hub,
      tokens: deps.salt.tokens,
      heartbeatMs: deps.settings.api.events_heartbeat * 1000,
      log: deps.salt.log,
      onClose: deps.stats.trackEventStream('ws'),
      onCutOff: (reason) => deps.metrics?.streamCutOff('ws', reason),
    });
  });
  registrations.set(app, { hub, ws, deps });
}

/** An HTTP answer written straight to the socket of an upgrade request we refuse. */
function refuse(socket: Duplex, error: ApiError, requestId: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(rawErrorAnswer(error.status, error.message, { ...error.headers, 'X-Request-Id': requestId }));
}

export interface EventStreams {
  /** End every event stream (their clients are told the server is shutting down). */
  close(): void;
}

/** Serve `GET /ws` on `server` for an app that registerEvents() was called on. */
export function attachEventStreams(server: Server | TlsServer, app: Koa<ApiState>): EventStreams {
  const registration = registrations.get(app);
  if (!registration) throw new Error('attachEventStreams: call registerEvents(app, …) first');
  const { hub, ws, deps } = registration;
  const { api } = deps.settings;
  ws.listen({ noServer: true, maxPayload: MAX_WS_MESSAGE_BYTES });
  const wss = ws.server;
  if (!wss) throw new Error('koa-websocket did not create its WebSocket server');
  const gate = wsGate({
    prefix: rootPrefix(deps),
    tokens: deps.salt.tokens,
    trustedProxies: api.trusted_proxies,
    authorizedIps: api.authorized_ips,
    corsOrigin: api.cors_origin,
    apiAcl: api.api_acl,
  });

  const trusted = new IpRanges(api.trusted_proxies);
  // The 101 that ws writes carries the request's id too.
  const ids = new WeakMap<IncomingMessage, string>();
  wss.on('headers', (headers: string[], req: IncomingMessage) => {
    const id = ids.get(req);
    if (id !== undefined) headers.push(`X-Request-Id: ${id}`);
  });

  const upgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    socket.on('error', () => socket.destroy());
    const id = requestIdOf(req, trusted);
    ids.set(req, id);
    // The app's own URL check (middleware/requestLimits.ts) never sees upgrade requests.
    const maxUrl = api.max_url_length;
    if ((req.url ?? '').length > maxUrl) return refuse(socket, Errors.UrlTooLong(maxUrl), id);
    const ctx = app.createContext<ApiState>(req, new ServerResponse(req));
    ctx.state.requestId = id;
    const path = gate.match(ctx.path);
    if (!path) return refuse(socket, Errors.NotFound(ctx.path), id);
    let grant: WsGrant;
    try {
      grant = await gate.admit(ctx, path.token);
    } catch (error) {
      if (!isApiError(error)) deps.salt.log.error('websocket upgrade failed', { request_id: id, error: error instanceof Error ? error.message : String(error) });
      return refuse(socket, isApiError(error) ? error : Errors.Unexpected(), id);
    }
    if (socket.destroyed) return;
    grants.set(req, grant);
    wss.handleUpgrade(req, socket, head, (client) => wss.emit('connection', client, req));
  };
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => void upgrade(req, socket, head);
  server.on('upgrade', onUpgrade);

  return {
    close() {
      server.off('upgrade', onUpgrade);
      hub.close();
      for (const client of wss.clients) client.close(GOING_AWAY, describeEnd('shutdown'));
    },
  };
}
