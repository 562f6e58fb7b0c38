/**
 * A request URL as it may be written to a log: the credentials a URL can carry are replaced.
 * Browsers' EventSource and WebSocket cannot send headers, so `/events?token=…` (also
 * `salt_token`) and `/ws/<token>` put a live session token in the URL, and a log file is read by
 * more people than the API's users.
 */

const REDACTED = 'REDACTED';
const TOKEN_PARAM = /([?&](?:salt_)?token=)[^&#]*/gi;
/** `/ws/<token>` under any `root_prefix`: the segment after the last `/ws/`. */
const WS_TOKEN = /(\/ws\/)[^/?#]+/;

export function redactUrl(url: string): string {
  return url.replace(TOKEN_PARAM, `$1${REDACTED}`).replace(WS_TOKEN, `$1${REDACTED}`);
}
