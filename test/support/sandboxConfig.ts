/** A Salt config directory for the command line (`salt-api-koa -c DIR`) in front of a sandbox master. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../../src/sandbox/index.js';

/** `parent/name/master` pointing at the sandbox, with these rest_koa options (JSON is YAML). */
export function sandboxConfigDir(sandbox: Sandbox, parent: string, name: string, api: Record<string, unknown>): string {
  const config = path.join(parent, name);
  const restKoa = { ...(sandbox.config.rest_koa as Record<string, unknown>), port: 0, host: '127.0.0.1', ...api };
  mkdirSync(config, { recursive: true });
  writeFileSync(path.join(config, 'master'), JSON.stringify({ ...sandbox.config, rest_koa: restKoa }));
  return config;
}
