/**
 * The answer to a request Node's HTTP parser gives up on before the app sees it: headers over
 * `max_header_size` (431), a request line or headers that take longer than `headers_timeout`, or
 * a whole request longer than `request_timeout` (408), anything malformed (400). Node's own answer
 * has no body; this one carries the `{"status": …, "return": …}` every other error has.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { renderJson } from '../serializers/json.js';

const ANSWERS: Readonly<Record<string, [number, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'Request header fields too large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Chunk extensions too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request not received in time'],
};
const MALFORMED: [number, string] = [400, 'Malformed HTTP request'];

/** Node keeps the response being written on a connection here (not a public API, but stable since Node 0.x). */
interface HttpSocket extends Duplex {
  _httpMessage?: { headersSent: boolean } | null;
}

/** A complete HTTP/1.1 answer with a JSON error body, for writing straight to a socket. */
export function rawErrorAnswer(status: number, message: string, headers: Readonly<Record<string, string>> = {}): string {
  const body = renderJson({ status, return: message });
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n${extra}` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** A `clientError` listener for node:http(s) servers, doing what Node's default does but with a body. */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // As Node itself: never write into a response that is already on its way (pipelined requests).
  const inFlight = (socket as HttpSocket)._httpMessage;
  if (error.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
    const [status, message] = ANSWERS[error.code ?? ''] ?? MALFORMED;
    socket.write(rawErrorAnswer(status, message));
  }
  socket.destroy();
}
