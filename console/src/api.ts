/**
 * The API as the console uses it: same-origin fetch, so the HttpOnly session cookie /login sets
 * goes along (the page never holds the token), JSON both ways, and failures carrying the status
 * and message of the API's `{"status": …, "return": "<message>"}` error bodies.
 */
import { field, type Json } from './json.js';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly request: string,
    readonly detail: string,
  ) {
    super(`${request} → ${status === 0 ? 'no answer' : status}: ${detail}`);
    this.name = 'ApiFailure';
  }
}

async function errorDetail(response: Response): Promise<string> {
  try {
    const message = field((await response.json()) as Json, 'return');
    if (typeof message === 'string' && message !== '') return message;
  } catch {
    // Not one of our JSON error bodies (a proxy's page, say): the status line has to do.
  }
  return response.statusText || 'request failed';
}

export class Api {
  /** `root` is root_prefix without its trailing slash; API paths start with `/`. */
  constructor(private readonly root: string) {}

  get(path: string): Promise<Json> {
    return this.send('GET', path);
  }

  post(path: string, body?: Json): Promise<Json> {
    return this.send('POST', path, body);
  }

  private async send(method: string, path: string, body?: Json): Promise<Json> {
    const request = `${method} ${this.root}${path}`;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.root}${path}`, {
        method,
        headers,
        credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiFailure(0, request, error instanceof Error ? error.message : String(error));
    }
    if (!response.ok) throw new ApiFailure(response.status, request, await errorDetail(response));
    return (await response.json()) as Json;
  }
}
