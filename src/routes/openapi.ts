/**
 * `GET /openapi.json`: the OpenAPI 3.1 description of this API. docs/openapi.yaml (shipped in the
 * package) is the source; it is read once, when the app is built, and served as JSON with the
 * API's public root in `servers` (a trusted proxy's X-Forwarded-Prefix, then root_prefix),
 * whatever the Accept header says (like POST /keys's tar).
 */
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { publicPrefix } from '../../middleware/clientIp.js';
import type { ApiRouter } from './deps.js';

export const OPENAPI_PATH = '/openapi.json';

const SOURCE = new URL('../../../docs/openapi.yaml', import.meta.url);

/** Public roots whose rendering is kept: one per proxy mount, so a handful at most. */
const KEPT_RENDERINGS = 8;

type OpenapiDocument = Record<string, unknown>;

function readDocument(): OpenapiDocument {
  return load(readFileSync(SOURCE, 'utf8')) as OpenapiDocument;
}

/** The document as served under `prefix` ('' for the root). */
function openapiDocument(prefix: string, document: OpenapiDocument = readDocument()): string {
  return JSON.stringify({ ...document, servers: [{ url: prefix || '/', description: 'this server' }] });
}

export function registerOpenapi(router: ApiRouter, prefix: string): void {
  const document = readDocument();
  const renderings = new Map<string, string>();
  const bodyFor = (root: string): string => {
    const kept = renderings.get(root);
    if (kept !== undefined) return kept;
    const body = openapiDocument(root, document);
    if (renderings.size < KEPT_RENDERINGS) renderings.set(root, body);
    return body;
  };
  router.get(OPENAPI_PATH, (ctx) => {
    ctx.set('Content-Type', 'application/json');
    ctx.body = bodyFor(publicPrefix(ctx, prefix));
  });
}
