/** What route handlers are given: the Salt adapter, the settings and the shared middleware. */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Settings } from '../config/types.js';
import type { SaltAdapter } from '../salt/adapter.js';
import type { ServerStats } from '../stats/serverStats.js';
import type { Metrics } from '../metrics/registry.js';
import type { ApiContext, ApiState } from '../state.js';
import type { Caller } from '../salt/netapi.js';
import type { Auditor } from '../audit/auditor.js';

export interface RouteDeps {
  salt: SaltAdapter;
  settings: Settings;
  /** Parses the body by Content-Type into `ctx.state.body`. */
  parseBody: Middleware<ApiState>;
  /** Requires a confirmed session token in `ctx.state.token`. */
  requireSession: Middleware<ApiState>;
  /** Whether responses go out over TLS (for the cookie's `Secure`). */
  tls: boolean;
  /** This server's request and event-stream counters (event streams call `trackEventStream`). */
  stats: ServerStats;
  /** This app's Prometheus metrics (event streams report to it); none with `enable_metrics: false`. */
  metrics?: Metrics;
  /** Who runs a lowstate for this request: its confirmed session and its `api_acl` check. */
  callerOf(ctx: ApiContext): Caller;
  /** Hears of every login (audit_log_file), when configured. */
  auditor?: Auditor;
}

export type ApiRouter = Router<ApiState>;
