/** Reading the recorded salt-api transcripts in test/fixtures/captures. */
import { readFileSync } from 'node:fs';
import { fixturePath } from './paths.js';

/** The request of a transcript as curl sent it (`> ` lines). */
export interface RecordedRequest {
  method: string;
  path: string;
  /** In the order sent, names as written. */
  headers: [string, string][];
}

export interface Capture {
  request: RecordedRequest;
  /** The request body exactly as sent, if the transcript has one. */
  requestBody?: string;
  status: number;
  headers: Record<string, string>;
  /** The response body: the last line of the transcript. */
  body: string;
}

function recordedRequest(lines: string[]): RecordedRequest {
  const start = lines.findIndex((l) => /^> [A-Z]+ \S+ HTTP\/1\.1$/.test(l));
  const [method, path] = lines[start]!.slice(2).split(' ');
  const headers: [string, string][] = [];
  for (const line of lines.slice(start + 1)) {
    const m = /^> ([A-Za-z-]+): (.*)$/.exec(line);
    if (!m) break;
    headers.push([m[1]!, m[2]!]);
  }
  return { method: method!, path: path!, headers };
}

export function readCapture(name: string): Capture {
  const text = readFileSync(fixturePath(`captures/${name}`), 'utf8');
  // curl -v writes the header lines with their CRLF; the body lines are as the server sent them.
  const lines = text.split('\n').map((l) => (/^[<>] /.test(l) ? l.replace(/\r$/, '') : l));
  const requestLine = lines.find((l) => l.startsWith('# request body (exact bytes sent): '));
  const statusLine = lines.find((l) => l.startsWith('< HTTP/1.1 '));
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const m = /^< ([A-Za-z-]+): (.*)$/.exec(line);
    if (m) headers[m[1]!.toLowerCase()] = m[2]!;
  }
  const headersEnd = lines.findIndex((l) => l === '< ');
  const body = lines
    .slice(headersEnd + 1)
    .join('\n')
    // curl's notes went to stderr, interleaved with the body: on lines of their own, and "left
    // intact" spliced into the middle of a long body where curl happened to write it.
    .replace(/\* Connection #0 to host \S+ left intact\n/g, '')
    .replace(/^(\{ \[\d+ bytes data\]|\* .*)\n/gm, '')
    .replace(/\n$/, '');
  return {
    request: recordedRequest(lines),
    requestBody: requestLine?.slice('# request body (exact bytes sent): '.length),
    status: Number(statusLine?.split(' ')[2]),
    headers,
    body,
  };
}

/** Replace values that differ between runs (jids, tokens, stamps) so two bodies can be compared. */
export function fold(value: unknown): unknown {
  if (typeof value === 'string') {
    if (/^\d{20}$/.test(value)) return '<jid>';
    if (/^[0-9a-f]{40,64}$/.test(value)) return '<token>';
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(value)) return '<stamp>';
    return value;
  }
  if (Array.isArray(value)) return value.map(fold);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [/^\d{20}$/.test(k) ? '<jid>' : k, fold(v)]));
  }
  return value;
}
