/**
 * Salt's `salt.utils.args.yamlify_arg`: how a command-line style string argument (urlencoded
 * `arg`/`kwarg` values, `name=value` runner keywords) becomes typed data. The text is read with
 * the same safe YAML loader as request bodies, then the result is only kept when Salt keeps it.
 */

import { DEFAULT_YAML_LIMITS, loadSafeYaml, type YamlLimits } from '../../serializers/safe-yaml.js';
import { isSaltMap } from '../../serializers/value-kinds.js';
import type { SaltValue } from './types.js';

/**
 * How many nodes aliases may add per character of an argument. A body limit alone does not bound
 * the data: one request may carry thousands of arguments, each a small alias bomb within the
 * per-document limit, so each argument may only grow in proportion to its own length.
 */
const ALIAS_EXPANSION_PER_CHAR = 10;

function limitsFor(value: string): YamlLimits {
  return { ...DEFAULT_YAML_LIMITS, maxAliasExpansion: Math.min(DEFAULT_YAML_LIMITS.maxAliasExpansion, ALIAS_EXPANSION_PER_CHAR * value.length) };
}

export function yamlify(value: string): SaltValue {
  const stripped = value.trim();
  // YAML reads blank text and bare document markers as null (or fails); Salt keeps them as typed.
  if (stripped === '' || stripped === '---' || stripped === '...') return value;
  // `1_000` would read as the int 1000; Salt keeps digit-and-underscore strings.
  if (value.includes('_') && /^[0-9_]*$/.test(stripped)) return value;
  // libyaml would silently normalise these characters, so Salt does not parse such text at all.
  if (/[\t\r\n]/.test(value)) return value;
  let parsed: SaltValue;
  try {
    if (value.includes('#')) {
      // `#` may start a comment; only a non-string reading is worth the risk of losing text.
      parsed = loadSafeYaml(value, limitsFor(value));
      return typeof parsed === 'string' || parsed === null ? value : parsed;
    }
    parsed = value === 'None' ? null : loadSafeYaml(value, limitsFor(value));
  } catch {
    return value;
  }
  // Mappings and lists only count when written with braces/brackets (`a: 1`, `- a` stay text).
  if (isSaltMap(parsed)) return value.startsWith('{') ? parsed : value;
  if (Array.isArray(parsed)) return value.startsWith('[') ? parsed : value;
  if (parsed === null || typeof parsed === 'string' || typeof parsed === 'number' || typeof parsed === 'bigint' || typeof parsed === 'boolean') {
    // YAML reads `|` as '' and `!` as '' or null; Salt keeps both as typed.
    if ((parsed === '' || parsed === null) && (value === '|' || value === '!')) return value;
    return parsed;
  }
  // Anything else (bytes from `!!binary`) is not a type Salt passes on.
  return value;
}
