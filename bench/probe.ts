/** Single requests outside the measured runs: the login, and checking each server answers right. */
import { LOGIN_REQUEST, type HttpRequest } from './scenarios.js';

export interface Reply {
  status: number;
  /** Lowercased names. */
  headers: Record<string, string>;
  body: Buffer;
}

export async function send(base: string, path: string, request: HttpRequest): Promise<Reply> {
  const response = await fetch(new URL(path, base), { method: request.method, headers: request.headers, body: request.body });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  return { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) };
}

/** The reply's body as JSON, or undefined when it is not JSON. */
export function replyJson(reply: Reply): unknown {
  try {
    return JSON.parse(reply.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** One `POST /login`; its X-Auth-Token is the session of the token-bound scenarios. */
export async function login(base: string): Promise<string> {
  const reply = await send(base, LOGIN_REQUEST.path, LOGIN_REQUEST);
  const token = reply.headers['x-auth-token'];
  if (reply.status !== 200 || token === undefined) throw new Error(`login failed (${reply.status}): ${reply.body.toString('utf8')}`);
  return token;
}
