/**
 * `salt.utils.minions.CkMinions.check_minions`: which accepted minions a target expression names.
 * Grain matching is "greedy" as on the master: an accepted minion the master has no cached grains
 * for (a key that never connected) stays in the result.
 */
import { BlockList, isIP } from 'node:net';
import type { SaltMap, SaltValue } from '../salt/types.js';
import { subdictMatch, type MatchMode } from './data.js';
import { fnmatch, reMatch } from '../salt/match.js';

/** What the master knows about its minions: accepted keys and cached grains. */
export interface Roster {
  /** Accepted minion ids, sorted as Salt lists `pki_dir`. */
  accepted(): string[];
  grains(id: string): SaltMap | undefined;
}

export interface Targets {
  minions: string[];
  missing: string[];
}

const NONE: Targets = { minions: [], missing: [] };

/** Raised for malformed expressions; check_minions turns every failure into "no minions". */
class TargetError extends Error {}

function glob(roster: Roster, expr: SaltValue): Targets {
  if (typeof expr !== 'string') throw new TargetError('glob target must be a string');
  return { minions: roster.accepted().filter((id) => fnmatch(id, expr)), missing: [] };
}

function pcre(roster: Roster, expr: SaltValue): Targets {
  if (typeof expr !== 'string') throw new TargetError('pcre target must be a string');
  return { minions: roster.accepted().filter((id) => reMatch(expr, id)), missing: [] };
}

function list(roster: Roster, expr: SaltValue): Targets {
  let ids: SaltValue[];
  if (typeof expr === 'string') ids = expr.split(',').filter((id) => id !== '');
  else if (Array.isArray(expr)) ids = expr;
  else throw new TargetError('list target must be a string or a list');
  const accepted = new Set(roster.accepted());
  const names = ids.map((id) => (typeof id === 'string' ? id : String(id)));
  return { minions: names.filter((id) => accepted.has(id)), missing: names.filter((id) => !accepted.has(id)) };
}

function grain(roster: Roster, expr: SaltValue, delimiter: string, mode: MatchMode): Targets {
  if (typeof expr !== 'string') throw new TargetError('grain target must be a string');
  const minions = roster.accepted().filter((id) => {
    const grains = roster.grains(id);
    return grains === undefined || subdictMatch(grains, expr, delimiter, mode);
  });
  return { minions, missing: [] };
}

function ipcidr(roster: Roster, expr: SaltValue): Targets {
  if (typeof expr !== 'string') throw new TargetError('ipcidr target must be a string');
  const [network, prefix] = expr.split('/') as [string, string?];
  const family = isIP(network);
  if (family === 0) throw new TargetError(`Invalid IP/CIDR target: ${expr}`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const block = new BlockList();
  if (prefix === undefined) block.addAddress(network, type);
  else if (/^\d+$/.test(prefix)) block.addSubnet(network, Number(prefix), type);
  else throw new TargetError(`Invalid IP/CIDR target: ${expr}`);
  const minions = roster.accepted().filter((id) => {
    const grains = roster.grains(id);
    if (grains === undefined) return true;
    const addresses = grains[type];
    return Array.isArray(addresses) && addresses.some((a) => typeof a === 'string' && block.check(a, type));
  });
  return { minions, missing: [] };
}

/** One word of a compound expression: `G@os:Debian`, `G;@os;Debian`, `L@a,b`, or a bare glob. */
const COMPOUND_WORD = /^(?:([GPIJLNSER])((?<=[GPIJ]).)?@)?(.+)$/s;

function compoundWord(roster: Roster, word: string, delimiter: string): Targets {
  const m = COMPOUND_WORD.exec(word);
  if (!m) throw new TargetError(`Invalid compound word: ${word}`);
  const [, engine, customDelimiter] = m;
  const pattern = m[3]!; // `(.+)` always takes part
  const delim = customDelimiter ?? delimiter;
  switch (engine) {
    case undefined:
      return glob(roster, pattern);
    case 'G':
      return grain(roster, pattern, delim, {});
    case 'P':
      return grain(roster, pattern, delim, { regex: true });
    case 'L':
      return list(roster, pattern);
    case 'E':
      return pcre(roster, pattern);
    case 'S':
      return ipcidr(roster, pattern);
    default:
      // Pillar, nodegroup and range data do not exist in the sandbox: the master fails the same way.
      throw new TargetError(`Unsupported compound engine: ${engine}`);
  }
}

/**
 * Compound expressions with Salt's precedence (Python set operators: `not` binds tightest as
 * `ALL - x`, then `and` (&), then `or` (|)); a `not` right after an operand implies `and`.
 * Parentheses are separate words, as Salt splits on whitespace only.
 */
function compound(roster: Roster, expr: SaltValue, delimiter: string): Targets {
  let words: string[];
  if (typeof expr === 'string') words = expr.split(/\s+/).filter((w) => w !== '');
  else if (Array.isArray(expr) && expr.every((w): w is string => typeof w === 'string')) words = [...expr];
  else throw new TargetError('compound target must be a string or a list of words');
  if (words.length === 0) return NONE;

  const all = new Set(roster.accepted());
  const missing: string[] = [];
  let pos = 0;

  const parseOr = (): Set<string> => {
    let result = parseAnd();
    while (words[pos] === 'or') {
      pos++;
      const right = parseAnd();
      result = new Set([...result, ...right]);
    }
    return result;
  };
  const parseAnd = (): Set<string> => {
    let result = parseUnary();
    for (;;) {
      if (words[pos] === 'and') pos++;
      else if (words[pos] !== 'not') break;
      const right = parseUnary();
      result = new Set([...result].filter((id) => right.has(id)));
    }
    return result;
  };
  const parseUnary = (): Set<string> => {
    if (words[pos] === 'not') {
      pos++;
      const operand = parseUnary();
      return new Set([...all].filter((id) => !operand.has(id)));
    }
    return parsePrimary();
  };
  const parsePrimary = (): Set<string> => {
    const word = words[pos++];
    if (word === undefined || word === 'and' || word === 'or' || word === ')') {
      throw new TargetError(`Unexpected ${word ?? 'end'} in compound target`);
    }
    if (word === '(') {
      const inner = parseOr();
      if (words[pos++] !== ')') throw new TargetError('Unmatched ( in compound target');
      return inner;
    }
    const result = compoundWord(roster, word, delimiter);
    missing.push(...result.missing);
    return new Set(result.minions);
  };

  const matched = parseOr();
  if (pos !== words.length) throw new TargetError('Trailing words in compound target');
  return { minions: roster.accepted().filter((id) => matched.has(id)), missing };
}

export function checkMinions(roster: Roster, expr: SaltValue, tgtType: SaltValue, delimiter = ':'): Targets {
  const target = expr === null ? '' : expr;
  try {
    switch (tgtType) {
      case 'glob':
        return glob(roster, target);
      case 'pcre':
        return pcre(roster, target);
      case 'list':
        return list(roster, target);
      case 'grain':
        return grain(roster, target, delimiter, {});
      case 'grain_pcre':
        return grain(roster, target, delimiter, { regex: true });
      case 'ipcidr':
        return ipcidr(roster, target);
      case 'compound':
        return compound(roster, target, delimiter);
      default:
        return NONE;
    }
  } catch (error) {
    if (error instanceof TargetError) return NONE;
    throw error;
  }
}
