/**
 * What a JavaScript value cannot say by itself about the Python value it stands for, and how it
 * is kept beside the value so the renderers and the msgpack writer can reproduce Python exactly:
 *
 * - **Integer-valued floats.** A JS number cannot tell `1` from `1.0`. Data decoded from the
 *   master (msgpack float32/float64) keeps such a float as a {@link PyFloat} box; every other
 *   float is a plain non-integer number. So a plain number is a Python int when it is an integer
 *   of at most 2^53 in magnitude, and a float otherwise; ints beyond 2^53 are bigints.
 * - **Key order.** Python dicts keep insertion order; a JS object lists integer-like keys
 *   (`"0"`…`"4294967294"`, numeric minion ids say) first, in ascending order. An object that has
 *   such a key carries its real key order under the enumerable symbol property
 *   {@link PYTHON_DICT}, set by the parsers, the msgpack decoder and `setMember`. Being
 *   enumerable, it travels with `{...spread}` and object rest copies; keys a copy adds or drops
 *   are reconciled by {@link orderedKeys}. Code that rebuilds a mapping member by member iterates
 *   {@link orderedEntries} and sets with `setMember`.
 * - **Key types.** A dict key that is not a str (an int, float, bool or None) becomes the text
 *   Python's `json.dumps` writes for it; the decoder and the YAML loader keep the original (under
 *   the same symbol) for YAML, which writes and sorts keys by type, for `repr()` and for the
 *   msgpack writer.
 *
 * Objects without integer-like or non-str keys carry nothing: the common case costs one property
 * lookup.
 */

/** A Python float whose value is an integer (`1.0`, `-0.0`, `1e+16`): rendered as a float. */
export class PyFloat {
  constructor(readonly value: number) {}

  valueOf(): number {
    return this.value;
  }
}

/** The number a decoded int or float stands for (ints beyond 2^53 rounded), or undefined. */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value instanceof PyFloat) return value.value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

/** A dict key that was not a str: int (number or bigint), float, bool or None. */
export type PyKey = number | bigint | boolean | null | PyFloat;

/**
 * What a mapping carries beside its members, under one enumerable symbol (one property lookup for
 * the renderers and packers): its keys in Python's order, when that differs from JavaScript's,
 * and the original non-str keys by their JSON text. Never changed in place but through
 * {@link noteKey}, which copies a list it does not own: copies share it.
 */
export const PYTHON_DICT: unique symbol = Symbol('python dict');

export interface DictInfo {
  readonly order?: string[];
  readonly types?: ReadonlyMap<string, PyKey>;
}

interface Annotated {
  [PYTHON_DICT]?: DictInfo;
}

/** The order list each object may extend in place; a list reached through a copy is copied first. */
const ownedOrder = new WeakMap<object, string[]>();

/**
 * Whether JavaScript files this key among the integer indices (listed first, ascending): the
 * canonical decimal text of an integer from 0 to 2^32 - 2.
 */
export function isIndexKey(key: string): boolean {
  const length = key.length;
  if (length === 0 || length > 10) return false;
  const first = key.charCodeAt(0);
  if (first < 0x30 || first > 0x39) return false;
  if (first === 0x30) return length === 1;
  for (let i = 1; i < length; i++) {
    const code = key.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return length < 10 || Number(key) <= 4294967294;
}

/** What the object carries beside its members, if anything (python-values.ts). */
export function dictInfo(object: object): DictInfo | undefined {
  return (object as Annotated)[PYTHON_DICT];
}

function attach(object: object, info: DictInfo): void {
  Object.defineProperty(object, PYTHON_DICT, { value: info, enumerable: true, writable: true, configurable: true });
}

/** Attach a freshly built key order (the parsers and the decoder call this once per object). */
export function attachKeyOrder(object: object, order: string[]): void {
  attach(object, { order, types: dictInfo(object)?.types });
  ownedOrder.set(object, order);
}

/**
 * Set a member of a dict being read (a JSON object, a msgpack map) the way Python builds it: a
 * repeated key keeps its first place and takes the last value, and `__proto__` is a member like any
 * other. Returns the key order to attach (attachKeyOrder) once the dict is complete: undefined until
 * an integer-like key makes one necessary, then the list, extended in place.
 */
export function readMember(object: Record<string, unknown>, order: string[] | undefined, key: string, value: unknown): string[] | undefined {
  let kept = order;
  if (kept === undefined && isIndexKey(key)) kept = Object.keys(object);
  if (kept !== undefined && !Object.hasOwn(object, key)) kept.push(key);
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
  return kept;
}

/** Attach the original types of a dict's non-str keys. */
export function attachKeyTypes(object: object, types: ReadonlyMap<string, PyKey>): void {
  attach(object, { order: dictInfo(object)?.order, types });
}

/** The original (non-str) key behind `key`, or undefined when it was a str. */
export function keyTypeOf(object: object, key: string): PyKey | undefined {
  return dictInfo(object)?.types?.get(key);
}

/**
 * Record that `key` is about to be set on `target` (before it is set): needed when the key is
 * integer-like or the object already keeps an order. A key the object has keeps its place.
 */
export function noteKey(target: object, key: string): void {
  const info = dictInfo(target);
  const order = info?.order;
  if (order === undefined) {
    if (!isIndexKey(key)) return;
    const fresh = Object.keys(target);
    if (!Object.hasOwn(target, key)) fresh.push(key);
    attachKeyOrder(target, fresh);
    return;
  }
  if (Object.hasOwn(target, key)) return;
  let owned = ownedOrder.get(target);
  if (owned !== order) {
    owned = [...order];
    attachKeyOrder(target, owned);
  }
  owned.push(key);
}

/**
 * The keys of an object in Python's order. Without a recorded order that is `Object.keys`. With
 * one, the recorded order is followed; keys the object gained since (plain assignments, a copy's
 * additions) are merged in: non-integer keys keep their place among the other non-integer keys,
 * as JavaScript kept it (so `{ added, ...copied }` lists `added` first and `{ ...copied, added }`
 * last), and unrecorded integer-like keys come last.
 */
export function orderedKeys(object: object, info: DictInfo | undefined = dictInfo(object)): string[] {
  const keys = Object.keys(object);
  const order = info?.order;
  if (order === undefined) return keys;
  const own = new Set(keys);
  const recorded = new Set(order);
  const emitted = new Set<string>();
  const out: string[] = [];
  const emit = (key: string) => {
    if (emitted.has(key)) return;
    out.push(key);
    emitted.add(key);
  };
  const named = keys.filter((key) => !isIndexKey(key));
  let next = 0;
  // Inserted before every recorded key: the leading additions of a copy.
  while (next < named.length && !recorded.has(named[next] as string)) emit(named[next++] as string);
  for (const key of order) {
    if (!own.has(key) || emitted.has(key)) continue;
    if (isIndexKey(key)) {
      emit(key);
      continue;
    }
    // Non-integer keys up to this one, in JavaScript's (insertion) order.
    while (next < named.length) {
      const name = named[next++] as string;
      emit(name);
      if (name === key) break;
    }
  }
  while (next < named.length) emit(named[next++] as string);
  for (const key of keys) emit(key);
  return out;
}

/** `Object.entries` in Python's order. */
export function orderedEntries<T>(object: { [key: string]: T }, info: DictInfo | undefined = dictInfo(object)): Array<[string, T]> {
  if (info?.order === undefined) return Object.entries(object);
  return orderedKeys(object, info).map((key) => [key, object[key] as T]);
}
