/** Decoding response bodies by their Content-Type, so recorded and live answers can be compared. */
import { load as loadYaml } from 'js-yaml';
import tar from 'tar-stream';

/** The decoded body: data for JSON and YAML, member names for a tar archive, else the text. */
export async function decodeBody(contentType: string, body: Buffer): Promise<unknown> {
  const type = contentType.split(';')[0]!.trim();
  if (type === 'application/json') return JSON.parse(body.toString('utf8')) as unknown;
  if (type === 'application/x-yaml') return loadYaml(body.toString('utf8'));
  if (type === 'application/x-tar') return { members: await tarMembers(body) };
  return body.toString('utf8');
}

/** Names of the files in a tar archive, sorted. */
export async function tarMembers(archive: Buffer): Promise<string[]> {
  const names: string[] = [];
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      names.push(header.name);
      stream.on('end', next);
      stream.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(archive);
  await done;
  return names.sort();
}

export interface StreamEvent {
  tag?: string;
  data?: unknown;
}

export interface EventStream {
  /** The reconnection delay the server asked for, if it did. */
  retry?: number;
  events: StreamEvent[];
}

/**
 * Server-sent events: blocks ended by a blank line, `field: value` lines, `:` comments ignored. A
 * block still arriving (no blank line yet) is left out.
 */
export function parseEventStream(text: string): EventStream {
  const out: EventStream = { events: [] };
  const complete = text.slice(0, Math.max(0, text.lastIndexOf('\n\n')));
  for (const block of complete.split(/\n\n+/)) {
    const event: StreamEvent = {};
    for (const line of block.split('\n')) {
      const m = /^([a-z]+): ?(.*)$/.exec(line);
      if (!m) continue;
      const [, field, value] = m;
      if (field === 'retry') out.retry = Number(value);
      else if (field === 'tag') event.tag = value;
      else if (field === 'data') event.data = JSON.parse(value!) as unknown;
    }
    if (event.tag !== undefined || event.data !== undefined) out.events.push(event);
  }
  return out;
}
