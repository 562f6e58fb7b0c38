/**
 * Starts the sandbox master and the API in this process, on real sockets: a ZeroMQ request
 * server on loopback, the event bus on unix sockets and the HTTP server on an ephemeral port.
 */
import request from 'supertest';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { settingsFromMaster } from '../../src/config/settings.js';
import { createLogger } from '../../src/log.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server.js';
import type { Settings } from '../../src/config/types.js';
import { RELEASE } from './release.js';

export interface Harness {
  sandbox: Sandbox;
  server: RunningServer;
  settings: Settings;
  url: string;
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  sandbox?: SandboxOptions;
  /** Options of the API section (rest_koa). */
  api?: Record<string, unknown>;
  /** Master options layered over the sandbox's config. */
  master?: Record<string, unknown>;
  server?: ServerOptions;
  /** Write the API's log (from level info) to this file instead of errors only to stderr. */
  logFile?: string;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sandbox = await startSandbox({ release: RELEASE.version, ...options.sandbox });
  const raw: Record<string, unknown> = { ...sandbox.config, ...options.master };
  raw.rest_koa = { ...(sandbox.config.rest_koa as Record<string, unknown>), port: 0, host: '127.0.0.1', ...options.api };
  const settings = settingsFromMaster(raw, 'test sandbox');
  const logger = options.logFile
    ? createLogger({ level: 'info', file: options.logFile })
    : createLogger({ level: process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'error' });
  const server = await startServer(settings, logger, options.server);
  return {
    sandbox,
    server,
    settings,
    url: server.url,
    http: request(server.url),
    async close() {
      await server.close();
      await sandbox.stop();
    },
  };
}

export interface Login {
  token: string;
  body: Record<string, unknown>;
}

/** Log in through the API and return the token it hands out. */
export async function login(harness: Harness, username = 'saltdev', password = 'saltdev', eauth = 'auto'): Promise<string> {
  const res = await harness.http
    .post('/login')
    .set('Accept', 'application/json')
    .send({ username, password, eauth })
    .expect(200);
  const token = (res.body as { return: { token: string }[] }).return[0]?.token;
  if (!token) throw new Error('login returned no token');
  return token;
}
