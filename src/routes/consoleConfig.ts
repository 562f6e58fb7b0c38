/**
 * `<app_path>/config.json` of the built-in console: where the API is mounted, which eauth
 * backends the login form may offer, which netapi clients are enabled, and whose session the
 * request carries (so the page knows whether to show its login form without provoking a 401).
 * Only backend names leave the server: the ACLs in `external_auth` stay here.
 */
import type { Settings } from '../config/types.js';
import type { TokenAuthority } from '../salt/tokens.js';
import type { ApiContext } from '../state.js';
import { presentedToken } from '../../middleware/session.js';
import { clientIp, publicPrefix } from '../../middleware/clientIp.js';

export interface ConsoleSession {
  user: string;
  eauth: string;
  /** Epoch seconds. */
  expire: number;
}

export interface ConsoleConfig {
  /**
   * Where the API is as the browser sees it (X-Forwarded-Prefix + root_prefix, no trailing slash,
   * '' at the root): API paths are appended to it.
   */
  api: string;
  eauth: string[];
  clients: string[];
  session: ConsoleSession | null;
}

export type ConsoleConfigSource = (ctx: ApiContext) => Promise<ConsoleConfig>;

export function consoleConfig(settings: Settings, tokens: TokenAuthority): ConsoleConfigSource {
  const eauth = Object.keys(settings.master.external_auth);
  const clients = [...settings.master.netapi_enable_clients];
  return async (ctx) => {
    const record = await tokens.validate(presentedToken(ctx), clientIp(ctx));
    const session = record ? { user: record.name, eauth: record.eauth, expire: record.expire } : null;
    return { api: publicPrefix(ctx, settings.api.root_prefix), eauth, clients, session };
  };
}
