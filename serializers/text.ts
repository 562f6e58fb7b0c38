/**
 * `text/plain`, as salt-api reads it: a JSON document if the text is one, otherwise the text
 * itself (which later fails the "Lowstates must be a list" check, but reaches webhooks intact).
 */

import { parseJson } from './json.js';
import type { ParseOptions, Serializer } from './types.js';

export function parseText(text: string, options: ParseOptions): unknown {
  try {
    return parseJson(text, options);
  } catch {
    // Too deep counts as "not JSON" too: the text is then kept as is, never handed to JSON.parse.
    return text;
  }
}

export const textSerializer: Serializer = {
  name: 'text',
  mediaTypes: ['text/plain'],
  parse: parseText,
};
