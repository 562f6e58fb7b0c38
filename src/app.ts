/**
 * The Koa onion: X-Request-Id → access log (when configured) → request counts and times (/stats,
 * /metrics) → client address → no-store on the credential paths (/login, /token, /run) → CORS
 * (answers OPTIONS) → URL and declared body size limits (414, 413) → errors → health checks
 * (/healthz, /readyz) → static files, favicon, app page (the `app`
 * file, else the built-in console) → authorized_ips (403) → Accept negotiation (406) → routes,
 * where each route adds the session check and then body parsing by Content-Type (406/400) as it
 * needs them. Handlers only turn a URL into lowstate and call the Salt adapter.
 */
import Koa from 'koa';
import Router from '@koa/router';
import type { Settings } from './config/types.js';
import type { Logger } from './log.js';
import type { SaltAdapter } from './salt/adapter.js';
import type { ApiState } from './state.js';
import type { SerializerRegistry } from '../serializers/registry.js';
import { errorHandler } from '../middleware/errors.js';
import { negotiate } from '../middleware/negotiate.js';
import { parseBody } from '../middleware/bodyParser.js';
import { requireSession } from '../middleware/auth.js';
import { admitsFrom } from './routes/apiAcl.js';
import type { RouteDeps } from './routes/deps.js';
import { registerRoot } from './routes/root.js';
import { registerLogin } from './routes/login.js';
import { registerMinions } from './routes/minions.js';
import { registerJobs } from './routes/jobs.js';
import { registerRun } from './routes/run.js';
import { appFile, appRoute } from './routes/app.js';
import { consolePage } from './routes/console.js';
import { consoleConfig } from './routes/consoleConfig.js';
import { favicon, staticFiles } from './routes/static.js';
import { clientAddress, clientIp, publicPrefix } from '../middleware/clientIp.js';
import { cors } from '../middleware/cors.js';
import { noStore } from '../middleware/noStore.js';
import { OriginPolicy } from './origin.js';
import { authorizedIps } from '../middleware/authorizedIps.js';
import { registerKeys } from './routes/keys.js';
import { registerHook } from './routes/hook.js';
import { registerStats } from './routes/stats.js';
import { ServerStats } from './stats/serverStats.js';
import { countRequests } from '../middleware/requestStats.js';
import { registerEvents } from './routes/events.js';
import { requestLimits } from '../middleware/requestLimits.js';
import type { AccessLog } from './accessLog.js';
import { healthRouter, isHealthCheck, refuseOtherMethods } from './routes/health.js';
import { Readiness } from './health/readiness.js';
import { OPENAPI_PATH, registerOpenapi } from './routes/openapi.js';
import { skipWhen } from '../middleware/skipWhen.js';
import { requestId } from '../middleware/requestId.js';
import type { Auditor } from './audit/auditor.js';
import { registerMetrics } from './routes/metrics.js';
import type { Metrics } from './metrics/registry.js';
import { processExposition, type MetricsExposition } from './metrics/exposition.js';
import { routeLabeller } from './metrics/routeLabel.js';

export interface AppOptions {
  settings: Settings;
  /** `log_access_file`, when configured. */
  accessLog?: AccessLog;
  /** `audit_log_file`, when configured: told of every login (commands are reported by the netapi dispatcher). */
  auditor?: Auditor;
  salt: SaltAdapter;
  registry: SerializerRegistry;
  log: Logger;
  tls: boolean;
  /** The app's metrics (none: no /metrics); the Salt adapter given should report to it too. */
  metrics?: Metrics;
  /** What `GET /metrics` answers; this process's metrics by default. */
  exposition?: MetricsExposition;
}

export function createApp({ settings, salt, registry, log, tls, accessLog, auditor, metrics, exposition }: AppOptions): Koa<ApiState> {
  const app = new Koa<ApiState>();
  app.silent = true;
  const limit = settings.api.max_request_body_size;
  const prefix = settings.api.root_prefix.replace(/\/+$/, '');
  const router = new Router<ApiState>({ prefix: prefix || undefined, strict: false });
  const deps: RouteDeps = {
    salt,
    settings,
    tls,
    parseBody: parseBody(registry, { limit, maxDepth: settings.api.max_body_depth }),
    requireSession: requireSession(
      salt.tokens,
      settings.api.api_acl,
      new OriginPolicy({ corsOrigin: settings.api.cors_origin, trustedProxies: settings.api.trusted_proxies }),
    ),
    stats: new ServerStats(),
    auditor,
    metrics,
    callerOf: (ctx) => ({ session: ctx.state.token, admits: admitsFrom(settings.api.api_acl, ctx), client: clientIp(ctx), requestId: ctx.state.requestId ?? '' }),
  };

  registerRoot(router, deps);
  registerRun(router, deps);
  registerKeys(router, deps);
  registerHook(router, deps);
  registerStats(router, deps);
  registerOpenapi(router, prefix);
  if (metrics) {
    registerMetrics(router, deps, exposition ?? processExposition(metrics));
    metrics.readFrom({ pool: () => salt.master.pool, bus: salt.bus, server: deps.stats });
  }
  if (settings.api.enable_sessions) {
    registerLogin(router, deps);
    registerMinions(router, deps);
    registerJobs(router, deps);
  }

  // First of all, so every answer carries it and every log line about the request names it.
  app.use(requestId(settings.api.trusted_proxies));
  // Health checks come every few seconds from every balancer: left out of /stats and /metrics,
  // and of the access log unless log_health_checks asks for them.
  const healthCheck = isHealthCheck(prefix);
  if (accessLog) app.use(settings.api.log_health_checks ? accessLog.middleware() : skipWhen(healthCheck, accessLog.middleware()));
  const routeOf = routeLabeller({
    router,
    prefix,
    staticMount: settings.api.static ? `${prefix}${settings.api.static_path}` : undefined,
    appMount: `${prefix}${settings.api.app_path}`,
    faviconPath: settings.api.favicon ? `${prefix}/favicon.ico` : undefined,
  });
  app.use(skipWhen(healthCheck, countRequests(deps.stats, metrics && { observer: metrics, routeOf })));
  // Who is asking, before anything may want to know; CORS outside the error handler, so error
  // answers carry its headers too, and OPTIONS never gets further.
  // Without trusted proxies the client is the socket peer, which clientIp() reads directly.
  if (settings.api.trusted_proxies.length > 0) app.use(clientAddress(settings.api.trusted_proxies));
  // Before every layer that may answer, so no answer of /login, /token or /run lacks it.
  app.use(noStore(prefix));
  app.use(cors(settings.api.cors_origin));
  // Before anything parses the URL or reads the body.
  app.use(requestLimits({ maxUrlLength: settings.api.max_url_length, maxBodySize: limit }, registry));
  app.use(errorHandler(registry, { debug: settings.api.debug, bodyLimit: limit, log }));
  const health = healthRouter(prefix, registry, new Readiness({ master: salt.master, bus: salt.bus, masterTimeoutSeconds: settings.api.master_timeout }));
  app.use(refuseOtherMethods(prefix));
  app.use(health.routes());
  // Files and the app page answer before the IP allow-list and content negotiation, as in salt-api.
  const { api } = settings;
  if (api.static) app.use(staticFiles(api.static, `${prefix}${api.static_path}`));
  if (api.favicon) app.use(favicon(api.favicon, `${prefix}/favicon.ico`));
  if (api.app) {
    const exempt = [api.static_path, '/events', '/ws', OPENAPI_PATH];
    app.use(appRoute(appFile(api.app), { prefix, appPath: api.app_path, exempt, htmlOverride: true }));
  } else {
    // No page of the user's own: the built-in console, which takes over no API answer but a
    // browser's navigation to the API root.
    const page = consolePage({
      mount: `${prefix}${api.app_path}`,
      publicMount: (ctx) => `${publicPrefix(ctx, prefix)}${api.app_path}`,
      publicApi: (ctx) => publicPrefix(ctx, prefix),
      config: consoleConfig(settings, salt.tokens),
      admit: authorizedIps(api.authorized_ips),
    });
    app.use(appRoute(page, { prefix, appPath: api.app_path, exempt: [], htmlOverride: false, rootPage: true }));
  }
  if (api.authorized_ips) app.use(authorizedIps(api.authorized_ips));
  // Event streams sit before Accept negotiation: an EventSource sends `Accept: text/event-stream`.
  registerEvents(app, deps);
  // Answers that are not data: the key archive, and the metrics text whatever Prometheus accepts.
  const keyArchive = `${prefix}/keys`;
  const openapi = `${prefix}${OPENAPI_PATH}`;
  const metricsPath = `${prefix}/metrics`;
  // Answers with a format of their own: the key archive's tar, the OpenAPI JSON, Prometheus text.
  const unnegotiated = (method: string, path: string) =>
    (method === 'POST' && path === keyArchive) || path === openapi || ((method === 'GET' || method === 'HEAD') && path === metricsPath);
  app.use(negotiate(registry, (ctx) => unnegotiated(ctx.method, ctx.path.replace(/\/+$/, ''))));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
