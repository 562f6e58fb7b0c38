/**
 * `GET /openapi.json`: the OpenAPI 3.1 description of this API. docs/openapi.yaml (shipped in the
 * package) is the source; it is read once, when the app is built, and served as JSON with this
 * server's root_prefix in `servers`, whatever the Accept header says (like POST /keys's tar).
 */
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import type { ApiRouter } from './deps.js';

export const OPENAPI_PATH = '/openapi.json';

const SOURCE = new URL('../../../docs/openapi.yaml', import.meta.url);

/** The document as served under `prefix` ('' for the root). */
export function openapiDocument(prefix: string): string {
  const document = load(readFileSync(SOURCE, 'utf8')) as Record<string, unknown>;
  return JSON.stringify({ ...document, servers: [{ url: prefix || '/', description: 'this server' }] });
}

export function registerOpenapi(router: ApiRouter, prefix: string): void {
  const body = openapiDocument(prefix);
  router.get(OPENAPI_PATH, (ctx) => {
    ctx.set('Content-Type', 'application/json');
    ctx.body = body;
  });
}
