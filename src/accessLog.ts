/**
 * `log_access_file`: one line per answered request, in the format CherryPy writes for salt-api
 * (`host - user [time] "request line" status bytes "referer" "user-agent"`), so log readers and
 * fail2ban rules written for salt-api keep working, followed by the request's `"X-Request-Id"`
 * (as nginx configurations append `$request_id`). The host is the client as resolved through
 * `trusted_proxies`, where CherryPy would log the proxy.
 */
import type { ServerResponse } from 'node:http';
import type { Next } from 'koa';
import { Sink } from './log.js';
import { clientIp } from '../middleware/clientIp.js';
import type { ApiContext } from './state.js';
import { redactUrl } from './redactUrl.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const two = (n: number) => String(n).padStart(2, '0');

/** CherryPy's `[27/Nov/2026:21:33:45]`: local time, no zone. */
export function accessTime(date: Date): string {
  return `[${two(date.getDate())}/${MONTHS[date.getMonth()]}/${date.getFullYear()}:${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}]`;
}

/** Client-sent text inside a quoted field: quotes, backslashes and control characters escaped, so one request is one line. */
function field(text: string): string {
  return text.replace(/[\\"\u0000-\u001f\u007f]/g, (c) => (c === '"' || c === '\\' ? `\\${c}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** nginx's status for a client that closed its connection before any answer was sent. */
const CLIENT_CLOSED = 499;

function bytesSent(res: ServerResponse): string {
  if (!res.headersSent) return '-';
  const length = res.getHeader('content-length');
  return length === undefined ? '-' : String(length);
}

export class AccessLog {
  private readonly sink: Sink;

  /** Opens (creates, mode 0640) the file now, so an unwritable one stops start-up; lines are written asynchronously (src/log.ts Sink). */
  constructor(file: string) {
    this.sink = new Sink(file);
  }

  /** Outermost layer: the line is written once the answer is sent (or the client went away). */
  middleware() {
    return async (ctx: ApiContext, next: Next): Promise<void> => {
      const { req, res } = ctx;
      const host = clientIp(ctx);
      res.once('close', () => {
        const request = `${req.method ?? ''} ${redactUrl(req.url ?? '')} HTTP/${req.httpVersion}`;
        const referer = req.headers.referer ?? '';
        const agent = req.headers['user-agent'] ?? '';
        // Before headers go out, statusCode is only Koa's placeholder 404.
        const status = res.headersSent ? res.statusCode : CLIENT_CLOSED;
        const id = ctx.state.requestId ?? '-';
        this.sink.write(`${host} - - ${accessTime(new Date())} "${field(request)}" ${status} ${bytesSent(res)} "${field(referer)}" "${field(agent)}" "${id}"\n`);
      });
      await next();
    };
  }

  /** After logrotate moved the file (SIGHUP). */
  reopen(): void {
    this.sink.reopen();
  }
}
