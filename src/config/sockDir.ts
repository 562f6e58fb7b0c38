/**
 * Where the master's sockets really are. salt.config.apply_master_config moves an over-long
 * sock_dir under cachedir (Unix socket paths are short) and then prefixes root_dir
 * (prepend_root_dir); the master does the same, so the API must too or it looks in the wrong place.
 */
import path from 'node:path';
import { ConfigError, describeValue } from './configError.js';
import { MASTER_DEFAULTS } from './defaults.js';
import type { ConfigMap } from './merge.js';

function pathOption(raw: ConfigMap, key: 'root_dir' | 'cachedir' | 'sock_dir'): string {
  const value = raw[key] ?? MASTER_DEFAULTS[key];
  if (typeof value !== 'string' || value === '') throw new ConfigError(`${key}: expected a directory path, got ${describeValue(value)}`);
  return value;
}

/**
 * prepend_root_dir on POSIX, where Salt's default root is `/`: a path already under root_dir keeps
 * its place, any other path (absolute or relative) is re-rooted below root_dir.
 */
export function prependRootDir(rootDir: string, target: string): string {
  const root = path.resolve(rootDir);
  const underRoot = root !== '/' && (target === root || target.startsWith(`${root}/`));
  const relative = underRoot ? target.slice(root.length) : target;
  return path.join(root, relative.replace(/^\/+/, ''));
}

export function effectiveSockDir(raw: ConfigMap): string {
  const cachedir = pathOption(raw, 'cachedir');
  let sockDir = pathOption(raw, 'sock_dir');
  if (sockDir.length > cachedir.length + 10) sockDir = path.join(cachedir, '.salt-unix');
  return prependRootDir(pathOption(raw, 'root_dir'), sockDir);
}
