/**
 * Check 3: the options without which the API answers but nobody gets anything done:
 * `external_auth` (who may log in; the master checks it) and `netapi_enable_clients` (which
 * clients the API may run: the API checks it, and Salt's default since 3006.0 is `[]`, which
 * refuses every client).
 */
import { CLIENT_NAMES } from '../salt/types.js';
import type { LoadedConfig } from './config.js';
import { type Finding, fail, ok, warn } from './finding.js';

function externalAuth(config: LoadedConfig): Finding {
  const backends = Object.keys(config.settings.master.external_auth);
  if (backends.length > 0) return ok('eauth', `external_auth backends: ${backends.join(', ')}`);
  const detail = 'external_auth is empty: nobody can log in (POST /login, /run with credentials)';
  const problem = {
    name: 'external_auth',
    fix: `add an eauth backend and the users it lets in to ${config.file}, e.g. "external_auth: {pam: {saltuser: ['.*', '@runner', '@wheel', '@jobs']}}", then restart salt-master and salt-api-koa`,
  };
  // Webhooks without authentication still work: such an API may be meant for nothing else.
  return config.settings.api.webhook_disable_auth ? warn('eauth', `${detail}; only unauthenticated webhooks work`, problem) : fail('eauth', detail, problem);
}

function enabledClients(config: LoadedConfig): Finding {
  const clients = config.settings.master.netapi_enable_clients;
  if (clients.length > 0) return ok('clients', `netapi_enable_clients: ${clients.join(', ')}`);
  return fail('clients', 'netapi_enable_clients is empty (the default since Salt 3006.0): every client is refused', {
    name: 'netapi_enable_clients',
    fix: `list the clients the API may run in ${config.file}, e.g. "netapi_enable_clients: [local, local_async, runner, wheel]" (all: ${CLIENT_NAMES.join(', ')}), then restart salt-api-koa`,
  });
}

export function checkNetapi(config: LoadedConfig): Finding[] {
  return [externalAuth(config), enabledClients(config)];
}
