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
import { answerClientError } from './clientError.js';
import { Drain } from './drain.js';
import { AccessLog } from './accessLog.js';
import { AuditLog } from './audit/auditLog.js';
import { cannotOpen } from './config/configError.js';
import { attachEventStreams } from './routes/events.js';
import { createDefaultRegistry } from '../serializers/index.js';
import type { SerializerRegistry } from '../serializers/registry.js';
import { Metrics } from './metrics/registry.js';
import { clusterExposition } from './metrics/cluster.js';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
  /**
   * What SIGHUP does (src/cli.ts calls it, in each worker too): reopen the access and audit logs
   * after logrotate moved them, and reload the TLS certificate, key and chain (see reloadTls).
   */
  reload(): void;
  /**
   * Read `ssl_crt`, `ssl_key` and `ssl_chain` again: new connections get the new certificate,
   * those already open keep theirs. Files that do not make a usable pair (unreadable, not PEM, a
   * key of another certificate) are refused with one error line, and the server keeps serving the
   * certificate it has. Returns whether the new files are in use; false too without TLS.
   */
  reloadTls(): boolean;
}

export interface ServerOptions {
  /** The serializer registry to use; the built-in formats by default. */
  registry?: SerializerRegistry;
  /**
   * This process is the worker in `slot` of src/cluster.ts: `GET /metrics` answers every worker's
   * metrics, collected by the primary, each labelled with its slot.
   */
  clusterWorker?: { slot: number };
}

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

function openAccessLog(file: string): AccessLog | undefined {
  if (!file) return undefined;
  try {
    return new AccessLog(file);
  } catch (error) {
    throw cannotOpen('log_access_file', file, error);
  }
}

function openAuditLog(settings: Settings): AuditLog | undefined {
  const { audit_log_file: file, audit_log_args: withArgs } = settings.api;
  if (!file) return undefined;
  try {
    return new AuditLog(file, withArgs);
  } catch (error) {
    throw cannotOpen('audit_log_file', file, error);
  }
}

/**
 * The connection limits of node:http, set deliberately: Node's defaults (headers 60 s, request
 * 300 s, checked only every 30 s) leave a slowloris client plenty of time per connection.
 */
function httpOptions(settings: Settings): http.ServerOptions {
  const { api } = settings;
  const headersTimeout = Math.round(api.headers_timeout * 1000);
  return {
    maxHeaderSize: api.max_header_size,
    headersTimeout,
    // Only the receipt of the request counts: an answer may take as long as the job does, and
    // event streams (GET, no body) are complete requests from their first moment.
    requestTimeout: Math.round(api.request_timeout * 1000),
    keepAliveTimeout: Math.round(api.keepalive_timeout * 1000),
    // How often Node looks for requests over their time: at most a second late.
    connectionsCheckingInterval: Math.min(1000, headersTimeout),
  };
}

/** listen(), or the error it fails with (the port is taken, the address is not ours). */
function listen(server: http.Server, settings: Settings): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: settings.api.port, host: settings.api.host, backlog: settings.api.socket_queue_size }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startServer(settings: Settings, log: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  const tls = tlsOptions(settings);
  const accessLog = openAccessLog(settings.api.log_access_file);
  const auditLog = openAuditLog(settings);
  const metrics = settings.api.enable_metrics ? new Metrics({ eauthBackends: Object.keys(settings.master.external_auth) }) : undefined;
  const salt = await createSaltAdapter(settings, log, { auditor: auditLog, observer: metrics });
  let server: http.Server | https.Server;
  let drain: Drain;
  let eventStreams: ReturnType<typeof attachEventStreams> | undefined;
  try {
    const exposition = metrics && options.clusterWorker ? clusterExposition(metrics, options.clusterWorker.slot) : undefined;
    const app = createApp({
      settings,
      salt,
      registry: options.registry ?? createDefaultRegistry(),
      log,
      tls: Boolean(tls),
      accessLog,
      auditor: auditLog,
      metrics,
      exposition,
    });
    const appHandler = app.callback();
    drain = new Drain();
    const handler = drain.track((req, res) => void appHandler(req, res));
    const serverOptions = httpOptions(settings);
    server = tls ? https.createServer({ ...tls, ...serverOptions }, handler) : http.createServer(serverOptions, handler);
    server.on('clientError', answerClientError);
    drain.watch(server, Boolean(tls));
    eventStreams = attachEventStreams(server, app);
    await listen(server, settings);
  } catch (error) {
    // Nothing will ever close what was opened for this server: its master connections (ZeroMQ
    // sockets, the bus subscription and its reconnect timer) would keep the process alive.
    eventStreams?.close();
    salt.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${tls ? 'https' : 'http'}://${host}:${address.port}`;
  const reloadTls = (): boolean => {
    if (!(server instanceof https.Server)) return false;
    const { ssl_crt: crt, ssl_key: key, ssl_chain: chain } = settings.api;
    try {
      server.setSecureContext(tlsOptions(settings) ?? {});
    } catch (error) {
      log.error(`TLS certificate not reloaded, still serving the previous one: ${error instanceof Error ? error.message : String(error)}`, { ssl_crt: crt, ssl_key: key, ssl_chain: chain });
      return false;
    }
    log.info('TLS certificate reloaded', { ssl_crt: crt, ssl_chain: chain });
    return true;
  };
  return {
    url,
    reload() {
      accessLog?.reopen();
      auditLog?.reopen();
      reloadTls();
    },
    reloadTls,
    async close() {
      drain.stop();
      // Event streams never end on their own: end them (with a last comment) so the server can close.
      eventStreams.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // In-flight requests get the grace period to finish, then their connections are cut.
      const timer = setTimeout(() => server.closeAllConnections(), settings.api.shutdown_grace * 1000);
      await closed;
      clearTimeout(timer);
      salt.close();
    },
  };
}
