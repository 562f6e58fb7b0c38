/** Answer with one file from disk (the app page, the favicon), typed by its extension. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ApiContext } from '../state.js';

const MISSING = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG']);

/** False when there is no such regular file; other I/O errors (EACCES, …) are thrown. */
export async function sendFile(ctx: ApiContext, file: string): Promise<boolean> {
  let size: number;
  let modified: Date;
  try {
    const stats = await stat(file);
    if (!stats.isFile()) return false;
    ({ size, mtime: modified } = stats);
  } catch (error) {
    if (MISSING.has((error as NodeJS.ErrnoException).code ?? '')) return false;
    throw error;
  }
  ctx.status = 200;
  ctx.type = path.extname(file) || 'bin';
  ctx.body = createReadStream(file);
  ctx.length = size;
  ctx.lastModified = modified;
  return true;
}
