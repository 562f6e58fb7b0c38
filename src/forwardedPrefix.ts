/**
 * `X-Forwarded-Prefix`: the path a proxy mounts the API under when it strips that path before
 * passing the request on (nginx's `location /salt/ { proxy_pass http://api/; }`). The API puts it
 * in front of every path it hands a client (cookie `Path`, `_links`, the console's mount), so
 * those point where the client can reach them. It is only read from a trusted proxy
 * (src/clientAddress.ts), and even then treated as hostile: it ends up in a cookie attribute and
 * in HTML, so anything but a plain absolute path is ignored, as if the header were absent.
 */

/** Longer than any sane mount point; a longer value is not a prefix but an attack. */
export const MAX_FORWARDED_PREFIX_LENGTH = 256;

/**
 * One path segment: unreserved characters and the sub-delimiters that need no quoting in a
 * cookie attribute, a URL or an HTML attribute. No `%` (a cookie Path is matched against the path
 * as sent, so encoded forms would never match reliably), no `,` (it separates repeated headers),
 * no `;`, quotes, `<>`, `\`, `?`, `#`, spaces or control characters.
 */
const SEGMENT = /^[A-Za-z0-9._~!$&*+=:@-]+$/;

/**
 * The prefix `value` names, without its trailing slash (`/salt/` → `/salt`, `/` → ''), or
 * undefined when it is not a safe absolute path: relative, `//`, a `.` or `..` segment, a
 * character outside SEGMENT, or longer than MAX_FORWARDED_PREFIX_LENGTH.
 */
export function parseForwardedPrefix(value: string): string | undefined {
  const text = value.trim();
  if (text.length > MAX_FORWARDED_PREFIX_LENGTH || !text.startsWith('/')) return undefined;
  const trimmed = text.endsWith('/') ? text.slice(0, -1) : text;
  if (trimmed === '') return '';
  const segments = trimmed.slice(1).split('/');
  const safe = segments.every((segment) => SEGMENT.test(segment) && segment !== '.' && segment !== '..');
  return safe ? trimmed : undefined;
}
