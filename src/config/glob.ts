/**
 * The subset of Python's glob.glob (non-recursive) that Salt's `include`/`default_include` rely
 * on: `*`, `?` and `[...]` per path segment, hidden names skipped unless the segment starts with a
 * dot, literal paths returned when they exist. Node 20 has no fs.glob, hence this module.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from './configError.js';
import { compileGlob } from '../salt/match.js';

const MAGIC = /[*?[]/;

async function exists(candidate: string): Promise<boolean> {
  try {
    await lstat(candidate);
    return true;
  } catch {
    return false;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    // Python's glob silently ignores unreadable directories; a silently skipped master.d is worse.
    throw new ConfigError(`cannot list ${dir} (${code ?? String(error)})`);
  }
}

/** Matches of `pattern`, in no particular order (callers sort, as Salt does). */
export async function glob(pattern: string): Promise<string[]> {
  if (!MAGIC.test(pattern)) return (await exists(pattern)) ? [pattern] : [];
  const dirname = path.dirname(pattern);
  const basename = path.basename(pattern);
  const dirs = dirname !== pattern && MAGIC.test(dirname) ? await glob(dirname) : [dirname];
  const matches: string[] = [];
  for (const dir of dirs) {
    if (!MAGIC.test(basename)) {
      const candidate = path.join(dir, basename);
      if (await exists(candidate)) matches.push(candidate);
      continue;
    }
    const matcher = compileGlob(basename);
    const showHidden = basename.startsWith('.');
    for (const name of await listDir(dir)) {
      if ((showHidden || !name.startsWith('.')) && matcher.test(name)) matches.push(path.join(dir, name));
    }
  }
  return matches;
}
