/**
 * `workers.ipc` in sock_dir: a plain marker file when 3008's worker pools are on (their default),
 * a socket otherwise (salt-versions.md §7). Evidence of the release, read without connecting.
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { LoadedConfig } from './config.js';

export async function workerPoolsEvidence(config: LoadedConfig): Promise<boolean | undefined> {
  let isFile: boolean;
  try {
    const stats = await lstat(path.join(config.settings.master.sock_dir, 'workers.ipc'));
    if (!stats.isFile() && !stats.isSocket()) return undefined;
    isFile = stats.isFile();
  } catch {
    // Absent (ipc_mode tcp) or not ours to see: no evidence either way.
    return undefined;
  }
  // With the pools switched off a 3008 master has the socket too: then a socket tells nothing.
  if (!isFile && config.raw.worker_pools_enabled === false) return undefined;
  return isFile;
}
