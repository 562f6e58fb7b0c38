/** Reading bus events out of a `/events` stream (test/support/sseClient.ts does the HTTP side). */
import type { SseClient } from '../support/sseClient.js';

export interface SseEvent {
  tag: string;
  data: Record<string, unknown>;
}

/** The event in a block's `data:` line, which carries `{"data": …, "tag": …}` as salt-api sends it. */
function parseData(data: string | undefined): SseEvent | undefined {
  if (data === undefined) return undefined;
  const parsed = JSON.parse(data) as Partial<SseEvent>;
  return typeof parsed.tag === 'string' && parsed.data !== undefined ? { tag: parsed.tag, data: parsed.data } : undefined;
}

/** The first event tagged `tag` the stream delivered or delivers within `timeoutMs`. */
export async function waitForSseEvent(client: SseClient, tag: string, timeoutMs = 15_000): Promise<SseEvent> {
  const find = (): SseEvent | undefined =>
    client
      .events()
      .filter((block) => block.tag === tag)
      .map((block) => parseData(block.data))
      .find((event) => event?.tag === tag);
  // Look for the tag line first: cheap on every chunk, and the block is parsed once it is complete.
  await client.waitFor((text) => text.includes(`tag: ${tag}\n`) && find() !== undefined, timeoutMs);
  return find()!;
}
