/** The master's minion key store (`pki_dir`), as `salt.key.Key` presents it to the wheel. */
import { createHash } from 'node:crypto';
import type { SaltValue } from '../salt/types.js';
import { fnmatch } from '../salt/match.js';
import { PyError, pyTypeName } from './python.js';

/** Key states in Salt's order, named as `key.list_all` names them. */
export const KEY_STATES = ['minions', 'minions_pre', 'minions_rejected', 'minions_denied'] as const;
export type KeyState = (typeof KEY_STATES)[number];

/** The master's own key files, listed under `local`. */
export const LOCAL_KEYS = ['master.pem', 'master.pub'] as const;

/** Matching key names by state; states without a match are absent. */
export type KeyMatches = Record<string, string[]>;

/** `hashlib` names accepted for `hash_type` (node knows them by the same names). */
const HASHES: ReadonlySet<string> = new Set(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']);

/** `salt.utils.data.sorted_ignorecase` */
export function sortedIgnoreCase(items: Iterable<string>): string[] {
  return [...items].sort((a, b) => {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** A minion id is a file name in `pki_dir`: anything that could leave that directory is refused. */
export function assertSafeId(id: SaltValue): string {
  if (typeof id !== 'string' || id.trim() === '') throw new PyError('CommandExecutionError', 'Empty value during sanitation');
  if (/[/\\\0]/.test(id) || id === '.' || id === '..') {
    throw new PyError('SaltValidationError', `Invalid minion id: ${id}`);
  }
  return id;
}

export class KeyStore {
  private readonly states = new Map<string, KeyState>();
  /** DER of the public keys the wheel generated; other minions get a stable made-up key. */
  private readonly publicKeys = new Map<string, Buffer>();

  state(id: string): KeyState | undefined {
    return this.states.get(id);
  }

  set(id: string, state: KeyState, publicKeyDer?: Buffer): void {
    this.states.set(id, state);
    if (publicKeyDer) this.publicKeys.set(id, publicKeyDer);
  }

  delete(id: string): void {
    this.states.delete(id);
    this.publicKeys.delete(id);
  }

  list(state: KeyState): string[] {
    return sortedIgnoreCase([...this.states].filter(([, s]) => s === state).map(([id]) => id));
  }

  accepted(): string[] {
    return this.list('minions');
  }

  isAccepted(id: string): boolean {
    return this.states.get(id) === 'minions';
  }

  listAll(): Record<KeyState | 'local', string[]> {
    return {
      minions: this.list('minions'),
      minions_pre: this.list('minions_pre'),
      minions_rejected: this.list('minions_rejected'),
      minions_denied: this.list('minions_denied'),
      local: [...LOCAL_KEYS],
    };
  }

  /** `Key.name_match`: keys matching a glob, a comma-separated globs string or a list of globs. */
  nameMatch(match: SaltValue, full: boolean): KeyMatches {
    let patterns: SaltValue[];
    if (typeof match === 'string') patterns = match.includes(',') ? match.split(',') : [match];
    else if (Array.isArray(match)) patterns = match;
    else throw new PyError('TypeError', `argument of type '${pyTypeName(match)}' is not iterable`);
    const all = this.listAll();
    const result: KeyMatches = {};
    for (const state of [...KEY_STATES, ...(full ? (['local'] as const) : [])]) {
      for (const key of all[state]) {
        for (const pattern of patterns) {
          if (typeof pattern !== 'string') throw new PyError('TypeError', 'expected str, bytes or os.PathLike object');
          if (fnmatch(key, pattern)) (result[state] ??= []).push(key);
        }
      }
    }
    return result;
  }

  /** `salt.utils.crypt.pem_finger`: the key's digest as colon-separated hex pairs. */
  finger(id: string, hashType: string): string {
    if (!HASHES.has(hashType)) throw new PyError('AttributeError', `module 'hashlib' has no attribute '${hashType}'`);
    const der = this.publicKeys.get(id) ?? createHash('sha512').update(`salt-sandbox-key:${id}`).digest();
    const hex = createHash(hashType).update(der).digest('hex');
    return hex.replace(/(..)(?!$)/g, '$1:');
  }
}
