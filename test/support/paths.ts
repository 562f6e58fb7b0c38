/** Where the project and its recorded test data are, relative to the compiled tests. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (dist/test/support → three levels up). */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * A path inside test/fixtures: data recorded from the real salt-api, pepper and Salt masters
 * (transcripts, tars, wire bytes), kept in the repository so the tests need nothing beside it.
 */
export function fixturePath(relative: string): string {
  return path.resolve(projectRoot, 'test', 'fixtures', relative);
}
