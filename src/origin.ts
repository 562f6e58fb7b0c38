/**
 * Where a browser request comes from, for the requests a browser makes on its own authority: the
 * session cookie rides along with any request to our host, whichever page started it. A form or a
 * `text/plain` fetch from another site, or from a sibling of ours (another port, another
 * subdomain: `SameSite=Lax` lets those through), must not be able to act with it.
 *
 * A request passes when its `Origin` is our own origin or one listed in `cors_origin` (`*` lists
 * nothing: browsers never send credentials to a wildcard either). Without `Origin`, the browser's
 * `Sec-Fetch-Site` decides: `same-origin` and `none` (typed, bookmarked) pass, `same-site` and
 * `cross-site` do not. A request with neither header is not a browser's, so it cannot be a forged
 * one: it passes. `Origin: null` (sandboxed frames, `file:` pages, cross-origin redirects) does not.
 *
 * Our own origin is the scheme and host the client addressed: `Host`, and TLS on the socket; behind
 * a trusted proxy (`trusted_proxies`), the `X-Forwarded-Proto` and `X-Forwarded-Host` that the
 * nearest proxy wrote, as src/clientAddress.ts reads them.
 */
import type { IncomingMessage } from 'node:http';
import { IpRanges, normalizeIp, resolveClient } from './clientAddress.js';

export interface OriginPolicyOptions {
  corsOrigin?: string | string[];
  trustedProxies: readonly string[];
}

/** The last (nearest proxy's) entry of a comma-separated header. */
function lastEntry(value: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  const entries = joined.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  return entries.at(-1);
}

/** `scheme://host[:port]` as browsers serialize an origin, or undefined for anything else. */
function serializedOrigin(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

export class OriginPolicy {
  private readonly listed: Set<string>;
  private readonly trusted: IpRanges;

  constructor(options: OriginPolicyOptions) {
    this.listed = new Set([options.corsOrigin ?? []].flat().filter((origin) => origin !== '*'));
    this.trusted = new IpRanges(options.trustedProxies);
  }

  /** The origin the client addressed (`https://api.example`), undefined when the host is unusable. */
  ownOrigin(req: IncomingMessage): string | undefined {
    const { secure } = resolveClient(req, this.trusted);
    const viaProxy = this.trusted.has(normalizeIp(req.socket.remoteAddress ?? ''));
    const host = (viaProxy ? lastEntry(req.headers['x-forwarded-host']) : undefined) ?? req.headers.host;
    if (!host) return undefined;
    return serializedOrigin(`${secure ? 'https' : 'http'}://${host}`);
  }

  /** Whether a request sent with the browser's own credentials (the cookie) may act. */
  admits(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (this.listed.has(origin)) return true;
      // Only the exact serialization a browser sends: `null`, paths, or a joined repeat fail here.
      const own = this.ownOrigin(req);
      return own !== undefined && serializedOrigin(origin) === origin && origin === own;
    }
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined) return site === 'same-origin' || site === 'none';
    return true;
  }
}
