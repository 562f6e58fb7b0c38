/** Where the real-Salt runs find their Salt source trees, and how run.ts hands them to the suite. */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** The default parent of the exported trees (test/real/export-salt.sh writes there). */
export function saltSrcRoot(): string {
  return process.env.SALT_SRC_ROOT ?? '/tmp/salt-src';
}

/** Every Salt source tree (a directory holding salt/__init__.py) directly under the root, sorted. */
export async function defaultTrees(root = saltSrcRoot()): Promise<string[]> {
  if (!existsSync(root)) return [];
  const names = (await readdir(root)).sort();
  return names.map((name) => path.join(root, name)).filter((dir) => existsSync(path.join(dir, 'salt', '__init__.py')));
}

/** How run.ts hands the trees to salt-api.real.ts, which mocha loads: a JSON list of paths. */
export const TREES_ENV = 'SALT_REAL_TREES';

/** The title of the top-level suite of one tree; run.ts groups its tally by it. */
export function releaseTitle(tree: string): string {
  return `Salt ${path.basename(tree)} (${tree})`;
}

export function treesFromEnv(): string[] {
  const value = process.env[TREES_ENV];
  if (!value) throw new Error(`${TREES_ENV} is not set: run this suite through test/real/run.ts (npm run test:salt)`);
  const trees = JSON.parse(value) as unknown;
  if (!Array.isArray(trees) || !trees.every((tree) => typeof tree === 'string')) throw new Error(`${TREES_ENV} must be a JSON list of paths`);
  return trees;
}
