/** Where the shared reference material is, relative to the compiled tests. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (dist/test/support → three levels up). */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A path inside ../shared (the reference material beside the project). */
export function sharedPath(relative: string): string {
  return path.resolve(projectRoot, '..', 'shared', relative);
}
