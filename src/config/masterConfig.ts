/**
 * Read a master config the way salt.config.master_config does: the main file, then the files
 * matched by `default_include`, then those matched by `include`, then Salt's sock_dir path rules.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, describeValue, errorCode } from './configError.js';
import { MASTER_DEFAULTS } from './defaults.js';
import { glob } from './glob.js';
import { type ConfigMap, assignOwn, isConfigMap, mergeConfig } from './merge.js';
import { setMember } from '../../serializers/set-member.js';
import { effectiveSockDir } from './sockDir.js';
import { parseSaltYaml } from './yaml.js';

/** _read_conf_file: YAML whose document is a mapping; an empty (falsy) document counts as `{}`. */
async function readConfFile(file: string): Promise<ConfigMap> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${file} (${errorCode(error)})`);
  }
  const document = parseSaltYaml(text, file);
  if (isConfigMap(document)) return document;
  if (!document || (Array.isArray(document) && document.length === 0)) return {};
  throw new ConfigError(`${file}: expected a mapping of options, got ${describeValue(document)}`);
}

/** Python's os.path.expanduser for `~` and `~/…`. */
function expandUser(pattern: string): string {
  return pattern === '~' || pattern.startsWith('~/') ? path.join(os.homedir(), pattern.slice(1)) : pattern;
}

function includePatterns(include: unknown, origin: string, key: string): string[] {
  if (!include) return [];
  if (typeof include === 'string') return [include];
  if (Array.isArray(include) && include.every((item): item is string => typeof item === 'string')) return include;
  throw new ConfigError(`${key} (in ${origin}): expected a path/glob or a list of them, got ${describeValue(include)}`);
}

/**
 * include_config: each pattern is relative to the including file's directory; matches are read in
 * sorted order and deep-merged together (lists concatenated); a matched file's own `include` is
 * applied on top of that file first. No match is not an error. `chain` holds the files being
 * included, to refuse the cycles on which Salt would recurse forever.
 */
async function includeConfig(include: unknown, origin: string, key: string, chain: readonly string[]): Promise<ConfigMap> {
  let configuration: ConfigMap = {};
  for (const pattern of includePatterns(include, origin, key)) {
    const expanded = expandUser(pattern);
    const absolute = path.isAbsolute(expanded) ? expanded : path.join(path.dirname(origin), expanded);
    for (const file of (await glob(absolute)).sort()) {
      const real = await realpath(file).catch(() => file);
      if (chain.includes(real)) throw new ConfigError(`${key} (in ${origin}): include loop back to ${file}`);
      const opts = await readConfFile(file);
      assignOwn(opts, await includeConfig(opts.include, file, 'include', [...chain, real]));
      configuration = mergeConfig(configuration, opts);
    }
  }
  return configuration;
}

async function mainConfigFile(location: string): Promise<string> {
  const resolved = path.resolve(location);
  try {
    return (await stat(resolved)).isDirectory() ? path.join(resolved, 'master') : resolved;
  } catch (error) {
    throw new ConfigError(`cannot read ${resolved} (${errorCode(error)})`);
  }
}

/**
 * The merged master options from `location`, a config directory (reads `<dir>/master`) or a file.
 * Includes shallowly override the main file's top-level keys, as Salt's `overrides.update()` does;
 * `conf_file` is the main file and `sock_dir` the effective socket directory.
 */
export async function loadMasterConfig(location: string): Promise<ConfigMap> {
  const file = await mainConfigFile(location);
  const overrides = await readConfFile(file);
  // Both come from the main file alone, as in Salt: an included file cannot re-point them.
  const defaultInclude = Object.hasOwn(overrides, 'default_include') ? overrides.default_include : MASTER_DEFAULTS.default_include;
  const fromDefaultInclude = await includeConfig(defaultInclude, file, 'default_include', []);
  const fromInclude = await includeConfig(overrides.include, file, 'include', []);
  assignOwn(overrides, fromDefaultInclude);
  assignOwn(overrides, fromInclude);
  setMember(overrides, 'conf_file', file);
  setMember(overrides, 'sock_dir', effectiveSockDir(overrides));
  return overrides;
}
