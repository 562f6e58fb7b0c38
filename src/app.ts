/**
 * The Koa onion: errors → body size limit (413) → Accept negotiation (406) → routes, where each
 * route adds the session check and then body parsing by Content-Type (406/400) as it needs them.
 * Handlers only turn a URL into lowstate and call the Salt adapter.
 */
import Koa from 'koa';
import Router from '@koa/router';
import type { Settings } from './config/types.js';
import type { Logger } from './log.js';
import type { SaltAdapter } from './salt/adapter.js';
import type { ApiState } from './state.js';
import type { SerializerRegistry } from '../serializers/registry.js';
import { errorHandler } from '../middleware/errors.js';
import { bodyLimit } from '../middleware/bodyLimit.js';
import { negotiate } from '../middleware/negotiate.js';
import { parseBody } from '../middleware/bodyParser.js';
import { requireSession } from '../middleware/auth.js';
import type { RouteDeps } from './routes/deps.js';
import { registerRoot } from './routes/root.js';
import { registerLogin } from './routes/login.js';
import { registerMinions } from './routes/minions.js';
import { registerJobs } from './routes/jobs.js';
import { registerRun } from './routes/run.js';

export interface AppOptions {
  settings: Settings;
  salt: SaltAdapter;
  registry: SerializerRegistry;
  log: Logger;
  tls: boolean;
}

export function createApp({ settings, salt, registry, log, tls }: AppOptions): Koa<ApiState> {
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
    requireSession: requireSession(salt.tokens),
  };

  registerRoot(router, deps);
  registerRun(router, deps);
  if (settings.api.enable_sessions) {
    registerLogin(router, deps);
    registerMinions(router, deps);
    registerJobs(router, deps);
  }

  app.use(errorHandler(registry, { debug: settings.api.debug, bodyLimit: limit, log }));
  app.use(bodyLimit(limit));
  app.use(negotiate(registry));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
