/** The sandbox's stand-in for salt-ssh (src/sandbox/fakeSaltSsh.ts), as the ssh client's `salt_ssh_path` in tests. */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from './paths.js';

const FAKE_SALT_SSH = path.join(projectRoot, 'dist/src/sandbox/fakeSaltSsh.js');

/** The master settings that point the ssh client at the fake salt-ssh. */
export type FakeSshMaster = Record<'salt_ssh_path' | 'salt_ssh_config_dir', string>;

/** A salt-ssh config dir `<tmp>/etc` holding `roster` (one host, web1, unless given), and the settings that use it. */
export function fakeSshMaster(tmp: string, roster = 'web1:\n  host: 192.0.2.1\n'): FakeSshMaster {
  const configDir = path.join(tmp, 'etc');
  mkdirSync(configDir);
  writeFileSync(path.join(configDir, 'roster'), roster);
  chmodSync(FAKE_SALT_SSH, 0o755);
  return { salt_ssh_path: FAKE_SALT_SSH, salt_ssh_config_dir: configDir };
}
