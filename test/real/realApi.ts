/**
 * salt-api-koa in this process, in front of a real Salt master started by the harness: the API is
 * configured exactly as `salt-api-koa -c <configDir>` would be (loadMasterConfig, then
 * settingsFromMaster), except that it listens on an ephemeral loopback port.
 */
import request from 'supertest';
import { loadMasterConfig } from '../../src/config/masterConfig.js';
import { isConfigMap } from '../../src/config/merge.js';
import { settingsFromMaster } from '../../src/config/settings.js';
import type { ApiOptions, Settings } from '../../src/config/types.js';
import { createLogger } from '../../src/log.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { type RealSalt, startRealSalt } from './saltMaster.js';

/** Two minions, as the sandbox has, so targeting, batching and subsets have something to choose from. */
export const MINION_COUNT = 2;

export interface ApiServer {
  readonly server: RunningServer;
  readonly url: string;
  readonly http: ReturnType<typeof request>;
}

export interface ExtraServer extends ApiServer {
  close(): Promise<void>;
}

export interface RealApi extends ApiServer {
  readonly salt: RealSalt;
  readonly settings: Settings;
  /**
   * Another API process's view of the same master: a fresh server with no token cache of its own,
   * configured as the first one but for `options` (its `rest_koa` options).
   */
  startAnotherServer(options?: Partial<ApiOptions>): Promise<ExtraServer>;
  /** Close every API server, then stop Salt. */
  close(): Promise<void>;
}

/** The settings `-c <configDir>` gives, listening on 127.0.0.1 and a port the kernel picks. */
export async function settingsFor(salt: RealSalt): Promise<Settings> {
  const raw = await loadMasterConfig(salt.configDir);
  const section = isConfigMap(raw.rest_koa) ? raw.rest_koa : {};
  raw.rest_koa = { ...section, port: 0, host: '127.0.0.1' };
  return settingsFromMaster(raw, String(raw.conf_file));
}

async function serve(settings: Settings): Promise<ApiServer> {
  const server = await startServer(settings, createLogger({ level: 'error' }));
  return { server, url: server.url, http: request(server.url) };
}

/** Start a real master with its minions from `saltSrc`, then the API in front of it. */
export async function startRealApi(saltSrc: string): Promise<RealApi> {
  const salt = await startRealSalt({ saltSrc, minions: MINION_COUNT });
  const servers: ApiServer[] = [];
  try {
    const settings = await settingsFor(salt);
    const main = await serve(settings);
    servers.push(main);
    return {
      ...main,
      salt,
      settings,
      async startAnotherServer(options = {}) {
        const extra = await serve({ ...settings, api: { ...settings.api, ...options } });
        servers.push(extra);
        return {
          ...extra,
          async close() {
            const index = servers.indexOf(extra);
            if (index >= 0) await servers.splice(index, 1)[0]!.server.close();
          },
        };
      },
      async close() {
        // Servers first: their bus and request sockets point at the master about to go away.
        await Promise.allSettled(servers.splice(0).map((api) => api.server.close()));
        await salt.stop();
      },
    };
  } catch (error) {
    await Promise.allSettled(servers.map((api) => api.server.close()));
    await salt.stop();
    throw error;
  }
}
