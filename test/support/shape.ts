/**
 * Comparing two decoded bodies by shape: the same keys and value types, recursively. Values
 * (tokens, jids, stamps, minion data) are never compared, so two runs of the same request match.
 */

export interface ShapeOptions {
  /**
   * Paths (like `$.return[0].minion-1`) of maps whose keys are data rather than contract (grains,
   * request headers): only the keys present on both sides are compared.
   */
  openMaps?: RegExp[];
  /**
   * Paths of maps keyed by data (the minions a random subset picked): the keys are not compared,
   * each entry must be shaped like one recorded entry. Maps keyed by jids are found without this.
   */
  keyedByData?: RegExp[];
}

type Kind = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object' | 'other';

function kindOf(value: unknown): Kind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const type = typeof value;
  return type === 'boolean' || type === 'number' || type === 'string' || type === 'object' ? type : 'other';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return kindOf(value) === 'object';
}

const JID = /^\d{20}$/;

/** A map keyed by job ids (jobs.list_jobs): its entries are alike, the ids are data. */
function isJidMap(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && Object.keys(value).length > 0 && Object.keys(value).every((k) => JID.test(k));
}

const isScalar = (value: unknown): boolean => !['array', 'object'].includes(kindOf(value));

/** Every way `actual` differs in shape from `expected`, as "path: what" lines; empty when alike. */
export function shapeMismatches(actual: unknown, expected: unknown, options: ShapeOptions = {}, path = '$'): string[] {
  if (isJidMap(expected)) return keyedByDataMismatches(actual, expected, options, path, 'jobs', (key) => JID.test(key));
  if (isRecord(expected) && options.keyedByData?.some((re) => re.test(path))) {
    return keyedByDataMismatches(actual, expected, options, path, 'entries', () => true);
  }
  const kind = kindOf(actual);
  const expectedKind = kindOf(expected);
  if (kind !== expectedKind) return [`${path}: ${kind} where salt-api has ${expectedKind}`];
  if (Array.isArray(actual) && Array.isArray(expected)) return arrayMismatches(actual, expected, options, path);
  if (isRecord(actual) && isRecord(expected)) return objectMismatches(actual, expected, options, path);
  return [];
}

function keyedByDataMismatches(
  actual: unknown,
  expected: Record<string, unknown>,
  options: ShapeOptions,
  path: string,
  what: string,
  validKey: (key: string) => boolean,
): string[] {
  if (!isRecord(actual)) return [`${path}: ${kindOf(actual)} where salt-api has a map of ${what}`];
  const entries = Object.entries(actual);
  if (entries.length === 0) return [`${path}: no ${what} where salt-api lists some`];
  const candidates = Object.values(expected);
  const out: string[] = [];
  for (const [key, value] of entries) {
    if (!validKey(key)) {
      out.push(`${path}: unexpected key ${JSON.stringify(key)}`);
      continue;
    }
    // Entries differ among themselves (a list target, a string target): one recorded entry alike is enough.
    const tries = candidates.map((candidate) => shapeMismatches(value, candidate, options, `${path}.<${what}>`));
    if (!tries.some((t) => t.length === 0)) out.push(...tries.reduce((best, t) => (t.length < best.length ? t : best)));
  }
  return out;
}

function arrayMismatches(actual: unknown[], expected: unknown[], options: ShapeOptions, path: string): string[] {
  if (expected.every(isScalar) && actual.every(isScalar)) {
    // A list of plain values (minion ids, perms, arguments) holds data: its length is not contract.
    if (expected.length === 0) return [];
    const kinds = new Set(expected.map(kindOf));
    return actual.flatMap((v, i) => (kinds.has(kindOf(v)) ? [] : [`${path}[${i}]: ${kindOf(v)} where salt-api has ${[...kinds].join('|')}`]));
  }
  if (actual.length !== expected.length) return [`${path}: ${actual.length} items where salt-api has ${expected.length}`];
  return actual.flatMap((v, i) => shapeMismatches(v, expected[i], options, `${path}[${i}]`));
}

function objectMismatches(
  actual: Record<string, unknown>,
  expected: Record<string, unknown>,
  options: ShapeOptions,
  path: string,
): string[] {
  const open = options.openMaps?.some((re) => re.test(path)) ?? false;
  const out: string[] = [];
  if (!open) {
    for (const key of Object.keys(expected).sort()) if (!Object.hasOwn(actual, key)) out.push(`${path}: missing key ${JSON.stringify(key)}`);
    for (const key of Object.keys(actual).sort()) if (!Object.hasOwn(expected, key)) out.push(`${path}: extra key ${JSON.stringify(key)}`);
  }
  for (const key of Object.keys(actual).sort()) {
    if (Object.hasOwn(expected, key)) out.push(...shapeMismatches(actual[key], expected[key], options, `${path}.${key}`));
  }
  return out;
}
