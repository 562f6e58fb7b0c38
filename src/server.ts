/** Starts the HTTP(S) server in front of the Salt adapter. */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { Settings } from './config/types.js';
import type { Logger } from './log.js';
import { createSaltAdapter } from './salt/adapter.js';
import { createApp } from './app.js';
import { attachEventStreams } from './routes/events.js';
import { createDefaultRegistry } from '../serializers/index.js';
import type { SerializerRegistry } from '../serializers/registry.js';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** The serializer registry to use; the built-in formats by default. */
  registry?: SerializerRegistry;
}

/** Milliseconds in-flight requests get to finish when the server closes. */
const CLOSE_GRACE_MS = 10_000;

function tlsOptions(settings: Settings): https.ServerOptions | undefined {
  const { api } = settings;
  if (api.disable_ssl || !api.ssl_crt || !api.ssl_key) return undefined;
  const options: https.ServerOptions = {
    cert: fs.readFileSync(api.ssl_crt),
    key: fs.readFileSync(api.ssl_key),
    // OpenSSL sends the intermediates it finds here along with the certificate.
    ca: api.ssl_chain ? fs.readFileSync(api.ssl_chain) : undefined,
  };
  // A key that does not match the certificate throws here, before any master connection is opened.
  createSecureContext(options);
  return options;
}

export async function startServer(settings: Settings, log: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  const tls = tlsOptions(settings);
  const salt = await createSaltAdapter(settings, log);
  const app = createApp({ settings, salt, registry: options.registry ?? createDefaultRegistry(), log, tls: Boolean(tls) });
  const handler = app.callback();
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  const eventStreams = attachEventStreams(server, app);
  server.headersTimeout = 20_000;
  server.requestTimeout = 0;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: settings.api.port, host: settings.api.host, backlog: settings.api.socket_queue_size }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${tls ? 'https' : 'http'}://${host}:${address.port}`;
  return {
    url,
    async close() {
      // Event streams never end on their own: end them so the server can close.
      eventStreams.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      await closed;
      clearTimeout(timer);
      salt.close();
    },
  };
}
