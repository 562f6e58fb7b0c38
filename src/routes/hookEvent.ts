/**
 * The data of a webhook event (http-api.md §7.14): the raw body, the parsed body and the request
 * headers named as CherryPy names them. Credentials are left out, because every event-stream
 * listener reads the bus (security.md, token on the event bus), and `Remote-Addr` is always the
 * address this server resolved for the client, whatever `Remote-Addr` header the client sent.
 */
import { formLowstate } from '../lowstate.js';
import { truthy } from '../salt/fields.js';
import { isMap } from '../salt/master.js';
import type { SaltMap, SaltValue } from '../salt/types.js';

const CREDENTIAL_HEADERS = new Set(['x-auth-token', 'cookie', 'authorization', 'proxy-authorization']);

export interface HookRequest {
  /** The body as text, undefined when there was none. */
  rawBody: string | undefined;
  /** The parsed body, undefined when there was none. */
  body: unknown;
  /** Every value of every header, by lower-case name (node's `headersDistinct`). */
  headers: Record<string, string[] | undefined>;
  /** The client's address: the socket peer, or what a trusted proxy forwarded. */
  peer: string;
}

/** Python's `str.title()`, which CherryPy applies to header names: `x-auth-token` → `X-Auth-Token`. */
export function titleCase(name: string): string {
  let out = '';
  let previousIsLetter = false;
  for (const char of name.toLowerCase()) {
    const isLetter = char >= 'a' && char <= 'z';
    out += isLetter && !previousIsLetter ? char.toUpperCase() : char;
    previousIsLetter = isLetter;
  }
  return out;
}

/** What salt-api puts under `post`: the body as lowdata_fmt left it (a mapping's scalar `arg` wrapped), `{}` when falsy. */
function postData(body: unknown): SaltValue {
  const value = body as SaltValue | undefined;
  if (value === undefined || !truthy(value)) return {};
  // formLowstate turns a non-empty mapping into a one-chunk list; the chunk is the mapping.
  return isMap(value) ? ((formLowstate(value) as SaltMap[])[0] ?? value) : value;
}

function eventHeaders(headers: HookRequest['headers'], peer: string): SaltMap {
  const out: SaltMap = {};
  for (const [name, values] of Object.entries(headers)) {
    if (values === undefined || CREDENTIAL_HEADERS.has(name) || name === 'remote-addr') continue;
    // Repeated headers are joined as CherryPy joins them.
    out[titleCase(name)] = values.join(', ');
  }
  out['Remote-Addr'] = peer;
  return out;
}

export function hookEventData(request: HookRequest): SaltMap {
  return {
    body: request.rawBody ?? '',
    post: postData(request.body),
    headers: eventHeaders(request.headers, request.peer),
  };
}
