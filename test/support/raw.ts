/**
 * A request exactly as written: the path is sent without URL normalisation (supertest would
 * resolve `..` and `%2e%2e` before sending), optionally from a chosen local address, over http or
 * https as the base URL says.
 */
import http from 'node:http';
import https from 'node:https';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RawOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Source address, e.g. 127.0.0.2 to come from another loopback address. */
  localAddress?: string;
  /** With https: the certificate authority the server's certificate must chain to. */
  ca?: Buffer;
  /** A keep-alive agent; by default every request has a connection of its own. */
  agent?: http.Agent;
}

export function rawRequest(baseUrl: string, path: string, options: RawOptions = {}): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        localAddress: options.localAddress,
        ca: options.ca,
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
