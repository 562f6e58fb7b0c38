/**
 * `application/x-www-form-urlencoded`, as salt-api's `urlencoded_processor` reads it: pairs
 * with an empty value are dropped (`parse_qsl`), a key given several times becomes a list in
 * order, brackets mean nothing (`arg[]` is a key of its own), and only `arg` and `kwarg` are
 * typed through Salt's yamlify; every other field stays a string.
 */

import type { SaltMap, SaltValue } from '../src/salt/types.js';
import { yamlify } from '../src/salt/yamlify.js';
import { setMember } from './set-member.js';
import type { Serializer } from './types.js';

export function parseForm(text: string): SaltMap {
  const fields = new Map<string, string[]>();
  // The leading `&` keeps URLSearchParams from eating a `?` that is part of the first key.
  for (const [key, value] of new URLSearchParams('&' + text)) {
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
