/**
 * Who is on the other end of a request. The socket peer is the client, unless that peer is one
 * of the configured trusted proxies: then X-Forwarded-For names the client (the right-most
 * address that no trusted proxy added), X-Forwarded-Proto the scheme it used and X-Forwarded-Prefix
 * the path the proxy mounts us under (src/forwardedPrefix.ts). Nothing else a client sends
 * (`Remote-Addr`, `X-Real-IP`, …) is ever believed (security.md, Remote-Addr row).
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { parseForwardedPrefix } from './forwardedPrefix.js';

export interface ClientAddress {
  /** The client's IP address; IPv4-mapped IPv6 addresses are given in their IPv4 form. */
  ip: string;
  /** Whether the client talks to us over TLS (directly, or to the trusted proxy in front). */
  secure: boolean;
  /**
   * The path a trusted proxy mounts the API under and strips before passing requests on
   * (`/salt`), '' when there is none: the part of the public path in front of `root_prefix`.
   */
  prefix: string;
}

/** `::ffff:10.0.0.1` → `10.0.0.1`, so an IPv4 rule matches however the socket reports it. */
export function normalizeIp(address: string): string {
  const trimmed = address.trim();
  return /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(trimmed)?.[1] ?? trimmed;
}

/** An X-Forwarded-For entry without the port some proxies add (`1.2.3.4:5678`, `[::1]:80`). */
function forwardedAddress(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed?.[1] !== undefined) return normalizeIp(bracketed[1]);
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry);
  return normalizeIp(withPort?.[1] ?? entry);
}

/** A set of IP addresses and CIDR ranges (`trusted_proxies`, `authorized_ips`). */
export class IpRanges {
  private readonly list = new BlockList();
  readonly empty: boolean;

  /** `entries` are validated by the settings; a malformed one here is a programming error. */
  constructor(entries: readonly string[]) {
    this.empty = entries.length === 0;
    for (const entry of entries) {
      const [address = '', bits] = entry.split('/');
      // A mapped IPv4 range (`::ffff:10.0.0.0/104`) stays IPv6: its prefix length counts 128 bits.
      const ip = bits === undefined ? normalizeIp(address) : address.trim();
      const family = isIP(ip);
      if (family === 0) throw new Error(`not an IP address or CIDR range: ${entry}`);
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.list.addAddress(ip, type);
      else this.list.addSubnet(ip, Number(bits), type);
    }
  }

  has(address: string): boolean {
    if (this.empty) return false;
    const ip = normalizeIp(address);
    const family = isIP(ip);
    return family !== 0 && this.list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
  }
}

function headerEntries(value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
}

export function resolveClient(req: IncomingMessage, trustedProxies: IpRanges): ClientAddress {
  const peer = normalizeIp(req.socket.remoteAddress ?? '');
  const encrypted = (req.socket as Partial<TLSSocket>).encrypted === true;
  if (!trustedProxies.has(peer)) return { ip: peer, secure: encrypted, prefix: '' };
  // Walk back from the hop nearest to us: everything left of the first untrusted address
  // was written by the client itself and proves nothing.
  let ip = peer;
  const hops = headerEntries(req.headers['x-forwarded-for']);
  for (let index = hops.length - 1; index >= 0; index--) {
    ip = forwardedAddress(hops[index] ?? '');
    if (!trustedProxies.has(ip)) break;
  }
  // The value the nearest proxy wrote; a client can only make its own cookie more or less strict.
  const proto = headerEntries(req.headers['x-forwarded-proto']).at(-1)?.toLowerCase();
  // Also the nearest proxy's; a value that is no safe path is ignored like an absent one.
  const prefix = parseForwardedPrefix(headerEntries(req.headers['x-forwarded-prefix']).at(-1) ?? '') ?? '';
  return { ip, secure: proto === undefined ? encrypted : proto === 'https', prefix };
}
