/** Salt's name matching: fnmatch globs and Python `re.match` patterns. */

/** Python fnmatch semantics: `*`, `?`, `[seq]`, `[!seq]`; the whole string must match. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      else if (body.startsWith('^')) body = `\\${body}`;
      out += `[${body}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${out})$`, 's');
}

export function globMatch(text: string, glob: string): boolean {
  return globToRegExp(glob).test(text);
}

/** Python `re.match`: anchored at the start only; an invalid pattern matches nothing. */
export function reMatchStart(text: string, pattern: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})`, 's').test(text);
  } catch {
    return false;
  }
}

/** Salt's `expr_match`: equal, fnmatch glob, or a full regex match. */
export function exprMatch(text: string, expr: string): boolean {
  if (text === expr || globMatch(text, expr)) return true;
  try {
    return new RegExp(`^(?:${expr})$`, 's').test(text);
  } catch {
    return false;
  }
}
