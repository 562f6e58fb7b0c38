/**
 * `application/x-www-form-urlencoded`, as salt-api's `urlencoded_processor` reads it: pairs
 * with an empty value are dropped (`parse_qsl`), a key given several times becomes a list in
 * order, brackets mean nothing (`arg[]` is a key of its own), and only `arg` and `kwarg` are
 * typed through Salt's yamlify; every other field stays a string.
 */

import { Errors } from '../src/errors.js';
import type { SaltMap, SaltValue } from '../src/salt/types.js';
import { yamlify } from '../src/salt/yamlify.js';
import { setMember } from './set-member.js';
import type { Serializer } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const ESCAPES = /(?:%[0-9A-Fa-f]{2})+/g;

/**
 * One name or value of the form: `+` is a space and runs of `%XX` are UTF-8 bytes, as
 * URLSearchParams reads them, except that bytes which are not UTF-8 are a 400 (like a raw body
 * that is not UTF-8) instead of silently becoming U+FFFD. A `%` not followed by two hex digits
 * stays as it is.
 */
function decodeComponent(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  if (!spaced.includes('%')) return spaced;
  return spaced.replace(ESCAPES, (run) => {
    const bytes = new Uint8Array(run.length / 3);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(run.slice(3 * i + 1, 3 * i + 3), 16);
    try {
      return utf8.decode(bytes);
    } catch {
      throw Errors.InvalidEncoding();
    }
  });
}

/** The `name=value` pairs of a form body in order (a pair without `=` has an empty value). */
function* formPairs(text: string): Generator<[string, string]> {
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const [name, value] = equals === -1 ? [pair, ''] : [pair.slice(0, equals), pair.slice(equals + 1)];
    yield [decodeComponent(name), decodeComponent(value)];
  }
}

export function parseForm(text: string): SaltMap {
  const fields = new Map<string, string[]>();
  for (const [key, value] of formPairs(text)) {
    if (value === '') continue;
    const values = fields.get(key);
    if (values === undefined) fields.set(key, [value]);
    else values.push(value);
  }
  const data: SaltMap = {};
  for (const [key, values] of fields) {
    let field: SaltValue = values.length === 1 ? (values[0] ?? '') : values;
    if (key === 'arg') field = values.map((value) => yamlify(value));
    // yamlify leaves non-strings alone, so a repeated `kwarg` stays a list of strings.
    else if (key === 'kwarg' && typeof field === 'string') field = yamlify(field);
    setMember(data, key, field);
  }
  return data;
}

export const formSerializer: Serializer = {
  name: 'form',
  mediaTypes: ['application/x-www-form-urlencoded'],
  parse: parseForm,
};
