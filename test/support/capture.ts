/** Reading the recorded salt-api transcripts in ../shared/captures. */
import { readFileSync } from 'node:fs';
import { sharedPath } from './paths.js';

export interface Capture {
  /** The request body exactly as sent, if the transcript has one. */
  requestBody?: string;
  status: number;
  headers: Record<string, string>;
  /** The response body: the last line of the transcript. */
  body: string;
}

export function readCapture(name: string): Capture {
  const text = readFileSync(sharedPath(`captures/${name}`), 'utf8');
  const lines = text.split('\n');
  const requestLine = lines.find((l) => l.startsWith('# request body (exact bytes sent): '));
  const statusLine = lines.find((l) => l.startsWith('< HTTP/1.1 '));
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const m = /^< ([A-Za-z-]+): (.*)$/.exec(line);
    if (m) headers[m[1]!.toLowerCase()] = m[2]!;
  }
  const start = lines.findIndex((l) => l.startsWith('* Connection #0 to host'));
  const body = lines.slice(start + 1).join('\n').replace(/\n$/, '');
  return {
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
