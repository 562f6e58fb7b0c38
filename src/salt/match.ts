/**
 * Python's pattern matching as Salt uses it: `fnmatch.fnmatch` for globs (targets, key names,
 * eauth user names, event tag filters), `re.match` (anchored at the start only) for ACL function entries and pcre
 * targets, and `salt.utils.stringutils.expr_match` for eauth user keys.
 */

const MAX_CACHED = 2048;
const compiled = new Map<string, RegExp | null>();

function cached(key: string, build: () => RegExp): RegExp | null {
  let re = compiled.get(key);
  if (re !== undefined) return re;
  try {
    re = build();
  } catch {
    // An invalid pattern never matches, as Salt logs `re.error` and moves on.
    re = null;
  }
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(key, re);
  return re;
}

/** One position of a glob: a literal character, `?`, a `[…]` class, or `*` (any run, even empty). */
type GlobToken = { kind: 'char'; char: string } | { kind: 'any' } | { kind: 'class'; test: (char: string) => boolean } | { kind: 'star' };

/** A compiled `fnmatch` pattern: the whole text must match. */
export interface GlobMatcher {
  test(text: string): boolean;
}

/**
 * The class `[…]` whose content starts at `start` (after the `[`), as `fnmatch.translate` reads it:
 * a leading `!` negates, a `]` right after the opening (or after `!`) is literal, ranges `a-z`.
 * Returns the token and where the pattern continues, or undefined when no `]` closes it (the `[`
 * is then a literal, as in Python).
 */
function classToken(chars: string[], start: number): { token: GlobToken; next: number } | undefined {
  let j = start;
  if (j < chars.length && chars[j] === '!') j++;
  if (j < chars.length && chars[j] === ']') j++;
  while (j < chars.length && chars[j] !== ']') j++;
  if (j >= chars.length) return undefined;
  let body = chars.slice(start, j);
  const negated = body[0] === '!';
  if (negated) body = body.slice(1);
  const ranges: [number, number][] = [];
  for (let k = 0; k < body.length; k++) {
    const low = body[k]!.codePointAt(0)!;
    if (body[k + 1] === '-' && k + 2 < body.length) {
      ranges.push([low, body[k + 2]!.codePointAt(0)!]);
      k += 2;
    } else {
      ranges.push([low, low]);
    }
  }
  // One character against a list of ranges: no backtracking whatever the class holds.
  const inClass = (char: string) => {
    const code = char.codePointAt(0)!;
    return ranges.some(([low, high]) => code >= low && code <= high);
  };
  return { token: { kind: 'class', test: negated ? (char) => !inClass(char) : inClass }, next: j + 1 };
}

/** Tokens of a pattern given as characters (code points, as Python indexes a str). */
function globTokens(chars: string[]): GlobToken[] {
  const tokens: GlobToken[] = [];
  let i = 0;
  while (i < chars.length) {
    const c = chars[i++]!;
    const bracket = c === '[' ? classToken(chars, i) : undefined;
    if (c === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') {
      tokens.push({ kind: 'any' });
    } else if (bracket) {
      tokens.push(bracket.token);
      i = bracket.next;
    } else {
      tokens.push({ kind: 'char', char: c });
    }
  }
  return tokens;
}

function matchesOne(token: GlobToken, char: string): boolean {
  if (token.kind === 'char') return token.char === char;
  if (token.kind === 'class') return token.test(char);
  return true;
}

/**
 * Match without a backtracking regex: a failed match after a `*` resumes from the latest `*` only,
 * one character further. Every other token takes exactly one character, so that is complete, and
 * the work is at most text length × pattern length, however many `*` the pattern has (a
 * backtracking regex of `*?*?*?…!` took seconds on one tag).
 */
function globMatch(tokens: GlobToken[], text: ArrayLike<string>): boolean {
  let t = 0;
  let p = 0;
  let starToken = -1;
  let starText = 0;
  while (t < text.length) {
    const token = tokens[p];
    if (token !== undefined && token.kind !== 'star' && matchesOne(token, text[t]!)) {
      t++;
      p++;
    } else if (token?.kind === 'star') {
      starToken = p++;
      starText = t;
    } else if (starToken >= 0) {
      p = starToken + 1;
      t = ++starText;
    } else {
      return false;
    }
  }
  while (tokens[p]?.kind === 'star') p++;
  return p === tokens.length;
}

const compiledGlobs = new Map<string, GlobMatcher>();
const SURROGATE = /[\uD800-\uDFFF]/;

/** A compiled `fnmatch` pattern (POSIX, case-sensitive); an unterminated `[` is literal. */
export function compileGlob(pattern: string): GlobMatcher {
  let matcher = compiledGlobs.get(pattern);
  if (matcher) return matcher;
  // Characters, not UTF-16 units: `?` takes one character, as in Python. Text without surrogates
  // (nearly all of it) is indexed as it is.
  const tokens = globTokens([...pattern]);
  matcher = { test: (text) => globMatch(tokens, SURROGATE.test(text) ? [...text] : text) };
  if (compiledGlobs.size >= MAX_CACHED) compiledGlobs.clear();
  compiledGlobs.set(pattern, matcher);
  return matcher;
}

/** Python `fnmatch.fnmatch` (POSIX, case-sensitive). */
export function fnmatch(name: string, pattern: string): boolean {
  return compileGlob(pattern).test(name);
}

/**
 * Rewrite the Python-only regex syntax a Salt config may contain: named groups `(?P<n>…)`,
 * backreferences `(?P=n)`, `\A`/`\Z`, and leading inline flags like `(?i)`.
 */
function pythonRegex(pattern: string, anchorEnd: boolean): RegExp {
  let flags = '';
  let source = pattern;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source);
  if (inline) {
    for (const flag of inline[1] ?? '') if ('ims'.includes(flag) && !flags.includes(flag)) flags += flag;
    source = source.slice(inline[0].length);
  }
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\' && i + 1 < source.length) {
      const next = source[++i];
      out += next === 'A' ? '^' : next === 'Z' ? '$' : `\\${next}`;
    } else if (source.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
    } else if (source.startsWith('(?P=', i)) {
      const close = source.indexOf(')', i);
      if (close < 0) throw new SyntaxError('unterminated backreference');
      out += `\\k<${source.slice(i + 4, close)}>`;
      i = close;
    } else {
      out += c;
    }
  }
  return new RegExp(anchorEnd ? `^(?:${out})$` : `^(?:${out})`, flags);
}

/** Python `re.match(pattern, value)`: anchored at the start only. */
export function reMatch(pattern: string, value: string): boolean {
  const re = cached(`m:${pattern}`, () => pythonRegex(pattern, false));
  return re !== null && re.test(value);
}

/** `salt.utils.stringutils.expr_match`: a glob, or a regex that must match the whole line. */
export function exprMatch(line: string, expr: string): boolean {
  if (line === expr || fnmatch(line, expr)) return true;
  const re = cached(`f:${expr}`, () => pythonRegex(expr, true));
  return re !== null && re.test(line);
}
