/**
 * The one YAML loader of this project: Salt's `SaltYamlSafeLoader` semantics (YAML 1.1 scalars,
 * `010` read as 10, timestamps kept as strings, merge keys `<<` with Salt's flattening, duplicate
 * keys refused) built from js-yaml's flat event stream, with limits the Python loader lacks:
 * nesting depth (aliases expanded), alias count and alias expansion size, and no tags beyond the
 * standard scalar/collection ones. Values built for an alias are shared, never copied, so a
 * "billion laughs" document is refused after a few hundred bytes of bookkeeping.
 */

import {
  EVENT_ID,
  NOT_RESOLVED,
  SCALAR_STYLE,
  YAMLException,
  binaryTag,
  getScalarValue,
  parseEvents,
  type AliasEvent,
  type DocumentEvent,
  type Event,
  type MappingEvent,
  type ScalarEvent,
  type SequenceEvent,
} from 'js-yaml';
import { ApiError, Errors } from '../src/errors.js';
import type { SaltMap, SaltValue } from '../src/salt/types.js';
import { pythonJsonNumber } from './python-number.js';
import { PyFloat, attachKeyTypes, keyTypeOf, orderedEntries, type PyKey } from './python-values.js';
import { setMember } from './set-member.js';
import { isSaltMap } from './value-kinds.js';
import { ScalarValueError, constructBool, constructFloat, constructInt, resolvePlainScalar } from './yaml11.js';

export interface YamlLimits {
  /** Deepest nesting of sequences and mappings, counted with aliases expanded. */
  readonly maxDepth: number;
  /** Most aliases (`*name`) one document may use. */
  readonly maxAliases: number;
  /** Most nodes plus string characters that aliases may add by repeating anchored content. */
  readonly maxAliasExpansion: number;
}

export const DEFAULT_YAML_LIMITS: YamlLimits = { maxDepth: 100, maxAliases: 1000, maxAliasExpansion: 1_000_000 };

const STANDARD_PREFIX = 'tag:yaml.org,2002:';
const ALLOWED_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'binary', 'timestamp', 'seq', 'map'].map((t) => STANDARD_PREFIX + t));
/**
 * js-yaml counts parser nesting differently from collection depth (a flow collection costs an
 * extra level); the parser gets this much headroom and the composer enforces the real limit.
 */
const PARSER_DEPTH_SLACK = 2;

/** A finished node: its value plus what the limits need to know about its expanded form. */
interface Built {
  readonly value: SaltValue;
  /** `<<` and `=` resolve to tags that only make sense as mapping keys (merge, and `=` read as a string key). */
  readonly special?: 'merge' | 'value';
  /** A float (`1.0` reads as the number 1): a mapping key keeps its type (python-values.ts). */
  readonly float?: boolean;
  /** Nodes plus string characters of the value with every alias expanded. */
  readonly size: number;
  /** Collection levels inside the value: 0 for a scalar. */
  readonly height: number;
}

/** What a scalar event constructs, before its size is known. */
type Scalar = Pick<Built, 'value' | 'special' | 'float'>;

interface CollectionFrame {
  readonly anchor: string | undefined;
  /** Sum of the expanded sizes of everything added so far. */
  size: number;
  /** Greatest height among the children added so far. */
  childHeight: number;
}

interface SequenceFrame extends CollectionFrame {
  readonly kind: 'sequence';
  readonly items: SaltValue[];
}

interface MappingFrame extends CollectionFrame {
  readonly kind: 'mapping';
  /** The mapping's own pairs, in order. */
  readonly own: Array<[string, SaltValue]>;
  readonly ownKeys: Set<string>;
  /** Pairs brought in by `<<`, in Salt's order (a merged list contributes its mappings last-first). */
  readonly merged: Array<[string, SaltValue]>;
  /** The original type of every key that is not a str (own and merged), by its text. */
  readonly keyTypes: Map<string, PyKey>;
  key: Built | undefined;
}

interface DocumentFrame {
  readonly kind: 'document';
  root: Built | undefined;
}

type Frame = SequenceFrame | MappingFrame | DocumentFrame;

function scalarSize(value: SaltValue): number {
  if (typeof value === 'string' || value instanceof Uint8Array) return 1 + value.length;
  return 1;
}

function tooDeep(maxDepth: number): ApiError {
  return Errors.BadRequest(`YAML document nests deeper than ${maxDepth} levels`);
}

function parse(text: string, maxDepth: number): Event[] {
  try {
    return parseEvents(text, { maxDepth: maxDepth + PARSER_DEPTH_SLACK });
  } catch (error) {
    // js-yaml reports its own depth limit only through the message text.
    if (error instanceof YAMLException && error.reason.startsWith('nesting exceeded')) throw tooDeep(maxDepth);
    throw Errors.InvalidYaml();
  }
}

/** The Python type of a key that is not a str (undefined for a str). */
function keyType(key: Built): PyKey | undefined {
  const { value } = key;
  if (key.special === 'value' || typeof value === 'string') return undefined;
  if (typeof value === 'number') return key.float === true && Number.isInteger(value) ? new PyFloat(value) : value;
  if (typeof value === 'bigint' || typeof value === 'boolean' || value === null) return value;
  return undefined;
}

/** Mapping keys become strings the way Python's json.dumps converts non-string dict keys. */
function keyText(key: Built): string {
  if (key.special === 'value') return '=';
  const { value } = key;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') {
    return pythonJsonNumber(key.float === true && Number.isInteger(value) ? new PyFloat(value as number) : value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null) return 'null';
  // Python refuses unhashable (collection) keys; byte-string keys could never be rendered.
  throw Errors.InvalidYaml();
}

class Composer {
  private readonly frames: Frame[] = [];
  private readonly anchors = new Map<string, Built>();
  /** Anchors of collections still being built: an alias to one would make a cycle. */
  private readonly openAnchors = new Set<string>();
  private handles = new Map<string, string>();
  private depth = 0;
  private aliases = 0;
  private expansion = 0;
  private documents = 0;
  private result: SaltValue = null;

  constructor(
    private readonly source: string,
    private readonly limits: YamlLimits,
  ) {}

  compose(events: readonly Event[]): SaltValue {
    for (const event of events) {
      switch (event.type) {
        case EVENT_ID.DOCUMENT:
          this.startDocument(event);
          break;
        case EVENT_ID.SCALAR:
          this.add(this.anchorScalar(event, this.scalar(event)));
          break;
        case EVENT_ID.SEQUENCE:
          this.checkCollectionTag(event, 'seq');
          this.frames.push({ kind: 'sequence', anchor: this.openCollection(event), items: [], size: 0, childHeight: 0 });
          break;
        case EVENT_ID.MAPPING:
          this.checkCollectionTag(event, 'map');
          this.frames.push({
            kind: 'mapping',
            anchor: this.openCollection(event),
            own: [],
            ownKeys: new Set(),
            merged: [],
            keyTypes: new Map(),
            key: undefined,
            size: 0,
            childHeight: 0,
          });
          break;
        case EVENT_ID.ALIAS:
          this.add(this.alias(event));
          break;
        case EVENT_ID.POP:
          this.pop();
          break;
      }
    }
    return this.result;
  }

  private startDocument(event: DocumentEvent): void {
    // Like PyYAML's safe_load: a stream holding several documents is an error.
    if (++this.documents > 1) throw Errors.InvalidYaml();
    this.handles = new Map();
    for (const directive of event.directives) {
      if (directive.kind === 'tag') this.handles.set(directive.handle, directive.prefix);
    }
    this.frames.push({ kind: 'document', root: undefined });
  }

  private text(start: number, end: number): string {
    return start < 0 ? '' : this.source.slice(start, end);
  }

  private tagName(raw: string): string {
    if (raw.startsWith('!<')) return raw.slice(2, -1);
    const handleEnd = raw.indexOf('!', 1);
    const handle = handleEnd === -1 ? '!' : raw.slice(0, handleEnd + 1);
    const prefix = this.handles.get(handle) ?? (handle === '!!' ? STANDARD_PREFIX : handle);
    return prefix + raw.slice(handle.length);
  }

  /** Standard tags are checked by kind; anything else (`!!python/…`, `!custom`) is refused outright. */
  private refuseUnknownTag(raw: string, name: string): void {
    if (!ALLOWED_TAGS.has(name)) throw Errors.BadRequest(`YAML tag ${raw} is not allowed`);
  }

  private checkCollectionTag(event: SequenceEvent | MappingEvent, kind: 'seq' | 'map'): void {
    const raw = this.text(event.tagStart, event.tagEnd);
    if (raw === '' || raw === '!') return;
    const name = this.tagName(raw);
    this.refuseUnknownTag(raw, name);
    if (name !== STANDARD_PREFIX + kind) throw Errors.InvalidYaml();
  }

  private scalar(event: ScalarEvent): Scalar {
    const text = getScalarValue(this.source, event);
    const raw = this.text(event.tagStart, event.tagEnd);
    try {
      if (raw === '') return event.style === SCALAR_STYLE.PLAIN ? implicitScalar(text) : { value: text };
      // libyaml resolves a `!`-tagged scalar like a plain one, even when quoted; a `!` with no
      // scalar after it is the empty string.
      if (raw === '!') return event.valueStart < 0 ? { value: '' } : implicitScalar(text);
      const name = this.tagName(raw);
      this.refuseUnknownTag(raw, name);
      const tag = name.slice(STANDARD_PREFIX.length);
      return { value: explicitScalar(tag, text), float: tag === 'float' };
    } catch (error) {
      if (error instanceof ScalarValueError) throw Errors.InvalidYaml();
      throw error;
    }
  }

  private anchorScalar(event: ScalarEvent, scalar: Scalar): Built {
    const built: Built = { ...scalar, size: scalarSize(scalar.value), height: 0 };
    const anchor = this.anchorOf(event);
    if (anchor !== undefined) this.anchors.set(anchor, built);
    return built;
  }

  /** The node's anchor name, refusing a name already in use as PyYAML's composer does. */
  private anchorOf(event: ScalarEvent | SequenceEvent | MappingEvent): string | undefined {
    if (event.anchorStart < 0) return undefined;
    const name = this.text(event.anchorStart, event.anchorEnd);
    if (this.anchors.has(name) || this.openAnchors.has(name)) throw Errors.InvalidYaml();
    return name;
  }

  private openCollection(event: SequenceEvent | MappingEvent): string | undefined {
    if (++this.depth > this.limits.maxDepth) throw tooDeep(this.limits.maxDepth);
    const anchor = this.anchorOf(event);
    if (anchor !== undefined) this.openAnchors.add(anchor);
    return anchor;
  }

  private alias(event: AliasEvent): Built {
    const name = this.text(event.anchorStart, event.anchorEnd);
    if (this.openAnchors.has(name)) throw Errors.BadRequest('YAML document contains a recursive alias');
    const built = this.anchors.get(name);
    if (built === undefined) throw Errors.InvalidYaml();
    const { maxAliases, maxAliasExpansion, maxDepth } = this.limits;
    if (++this.aliases > maxAliases) throw Errors.BadRequest(`YAML document uses more than ${maxAliases} aliases`);
    this.expansion += built.size;
    if (this.expansion > maxAliasExpansion) {
      throw Errors.BadRequest(`YAML aliases expand the document beyond ${maxAliasExpansion} nodes`);
    }
    if (this.depth + built.height > maxDepth) throw tooDeep(maxDepth);
    return built;
  }

  private add(built: Built): void {
    const frame = this.frames[this.frames.length - 1];
    if (frame === undefined) throw Errors.InvalidYaml();
    if (frame.kind === 'mapping') {
      if (frame.key === undefined) {
        frame.key = built;
        return;
      }
      const key = frame.key;
      frame.key = undefined;
      this.addPair(frame, key, built);
      frame.size += key.size;
    } else {
      // `<<` or `=` anywhere but as a mapping key has no constructor in PyYAML.
      if (built.special !== undefined) throw Errors.InvalidYaml();
      if (frame.kind === 'document') {
        frame.root = built;
        return;
      }
      frame.items.push(built.value);
    }
    frame.size += built.size;
    frame.childHeight = Math.max(frame.childHeight, built.height);
  }

  private addPair(frame: MappingFrame, key: Built, value: Built): void {
    if (value.special !== undefined) throw Errors.InvalidYaml();
    if (key.special === 'merge') {
      for (const [name, item, type] of mergeSource(value.value)) {
        frame.merged.push([name, item]);
        if (type !== undefined && !frame.ownKeys.has(name)) frame.keyTypes.set(name, type);
      }
      return;
    }
    const name = keyText(key);
    // Salt's loader: "found conflicting ID".
    if (frame.ownKeys.has(name)) throw Errors.InvalidYaml();
    frame.ownKeys.add(name);
    frame.own.push([name, value.value]);
    const type = keyType(key);
    if (type !== undefined) frame.keyTypes.set(name, type);
    else frame.keyTypes.delete(name);
  }

  private pop(): void {
    const frame = this.frames.pop();
    if (frame === undefined) throw Errors.InvalidYaml();
    if (frame.kind === 'document') {
      this.result = frame.root?.value ?? null;
      return;
    }
    this.depth--;
    const value = frame.kind === 'sequence' ? frame.items : buildMapping(frame);
    const built: Built = { value, size: 1 + frame.size, height: 1 + frame.childHeight };
    if (frame.anchor !== undefined) {
      this.openAnchors.delete(frame.anchor);
      this.anchors.set(frame.anchor, built);
    }
    this.add(built);
  }
}

function implicitScalar(text: string): Scalar {
  switch (resolvePlainScalar(text, false)) {
    case 'bool':
      return { value: constructBool(text) };
    case 'int':
      return { value: constructInt(text) };
    case 'float':
      return { value: constructFloat(text), float: true };
    case 'null':
      return { value: null };
    case 'merge':
      return { value: text, special: 'merge' };
    case 'value':
      return { value: text, special: 'value' };
    case 'yaml':
      throw Errors.InvalidYaml();
    default:
      return { value: text };
  }
}

function explicitScalar(tag: string, text: string): SaltValue {
  switch (tag) {
    // Salt keeps timestamps as the text that was written.
    case 'str':
    case 'timestamp':
      return text;
    case 'int':
      return constructInt(text);
    case 'float':
      return constructFloat(text);
    case 'bool':
      return constructBool(text);
    case 'null':
      return null;
    case 'binary': {
      const bytes = binaryTag.resolve(text, true, STANDARD_PREFIX + tag);
      if (bytes === NOT_RESOLVED) throw Errors.InvalidYaml();
      return bytes;
    }
    default:
      // `!!seq`/`!!map` on a scalar.
      throw Errors.InvalidYaml();
  }
}

/** A mapping's pairs in order, each with its key's type when that is not a str. */
function typedEntries(map: SaltMap): Array<[string, SaltValue, PyKey | undefined]> {
  return orderedEntries(map).map(([key, item]) => [key, item, keyTypeOf(map, key)]);
}

/** What one `<<` contributes: a mapping's pairs, or those of a list of mappings taken last-first. */
function mergeSource(value: SaltValue): Array<[string, SaltValue, PyKey | undefined]> {
  if (isSaltMap(value)) return typedEntries(value);
  if (!Array.isArray(value)) throw Errors.InvalidYaml();
  const pairs: Array<[string, SaltValue, PyKey | undefined]> = [];
  for (let i = value.length - 1; i >= 0; i--) {
    const item = value[i] ?? null;
    if (!isSaltMap(item)) throw Errors.InvalidYaml();
    pairs.push(...typedEntries(item));
  }
  return pairs;
}

/**
 * Salt's `flatten_mapping`: merged pairs whose key the mapping does not define itself come first;
 * two merged pairs with the same key are a conflict, as in Salt (PyYAML would keep the first).
 */
function buildMapping(frame: MappingFrame): SaltMap {
  const mapping: SaltMap = {};
  for (const [key, value] of frame.merged) {
    if (frame.ownKeys.has(key)) continue;
    if (Object.hasOwn(mapping, key)) throw Errors.InvalidYaml();
    setMember(mapping, key, value);
  }
  for (const [key, value] of frame.own) setMember(mapping, key, value);
  if (frame.keyTypes.size > 0) attachKeyTypes(mapping, frame.keyTypes);
  return mapping;
}

/**
 * Load one YAML document with Salt's safe semantics. An empty stream is `null`. Malformed YAML
 * throws 400 "Invalid YAML document"; documents over the limits or with foreign tags throw 400
 * with the reason.
 */
export function loadSafeYaml(text: string, limits: YamlLimits = DEFAULT_YAML_LIMITS): SaltValue {
  return new Composer(text, limits).compose(parse(text, limits.maxDepth));
}
