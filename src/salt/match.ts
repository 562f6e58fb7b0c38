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

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** `fnmatch.translate` (POSIX, case-sensitive), producing a JavaScript source. */
function translateGlob(pattern: string): string {
  let out = '';
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const c = pattern[i++];
    if (c === '*') {
      if (!out.endsWith('.*')) out += '.*';
    } else if (c === '?') {
      out += '.';
    } else if (c === '[') {
      let j = i;
      if (j < n && pattern[j] === '!') j++;
      if (j < n && pattern[j] === ']') j++;
      while (j < n && pattern[j] !== ']') j++;
      if (j >= n) {
        out += '\\[';
      } else {
        let stuff = pattern.slice(i, j).replace(/\\/g, '\\\\').replace(/]/g, '\\]');
        i = j + 1;
        if (stuff.startsWith('!')) stuff = `^${stuff.slice(1)}`;
        else if (stuff.startsWith('^') || stuff.startsWith('[')) stuff = `\\${stuff}`;
        out += `[${stuff}]`;
      }
    } else {
      out += escapeRegex(c);
    }
  }
  return out;
}

/** A compiled `fnmatch` pattern (the whole text must match); an unterminated `[` is literal. */
export function globToRegExp(pattern: string): RegExp {
  return cached(`g:${pattern}`, () => new RegExp(`^(?:${translateGlob(pattern)})$`, 's')) ?? /(?!)/;
}

/** Python `fnmatch.fnmatch` (POSIX, case-sensitive). */
export function fnmatch(name: string, pattern: string): boolean {
  return globToRegExp(pattern).test(name);
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
    for (const flag of inline[1]) if ('ims'.includes(flag) && !flags.includes(flag)) flags += flag;
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
