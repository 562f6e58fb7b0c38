/**
 * The master config, loaded and validated exactly as `salt-api-koa` does before it serves: a
 * config the API would refuse is reported with the API's own message.
 */
import { ConfigError } from '../config/configError.js';
import { loadMasterConfig } from '../config/masterConfig.js';
import type { ConfigMap } from '../config/merge.js';
import { apiSectionName, settingsFromMaster } from '../config/settings.js';
import type { Settings } from '../config/types.js';
import { type Finding, fail, ok, warn } from './finding.js';

export interface LoadedConfig {
  raw: ConfigMap;
  settings: Settings;
  file: string;
  section: string;
}

export type ConfigOutcome = { config: LoadedConfig; findings: Finding[] } | { config?: undefined; findings: Finding[] };

/**
 * Options whose value may be a credential (by name, or eauth entries, where a password written in
 * the wrong place would land): their offending value is not repeated in the report.
 */
const SECRET_OPTION = /pass|secret|token|key|^external_auth\./i;

function withoutSecrets(option: string, message: string): string {
  return SECRET_OPTION.test(option) ? message.replace(/, got .*$/, ', got a value not shown here') : message;
}

export async function checkConfig(location: string, locationGiven: boolean): Promise<ConfigOutcome> {
  let raw: ConfigMap;
  try {
    raw = await loadMasterConfig(location);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const fix = locationGiven
      ? `point -c at the directory holding the master config (or at the file itself), readable by this user`
      : `pass the master's config directory with -c DIR (the default is ${location})`;
    return { findings: [fail('config', error.message, { name: 'config', fix })] };
  }
  const file = String(raw.conf_file);
  const warnings: string[] = [];
  let settings: Settings;
  try {
    settings = settingsFromMaster(raw, file, (warning) => warnings.push(warning));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const option = error.message.split(':', 1)[0] ?? 'config';
    return {
      findings: [fail('config', `${file}: ${withoutSecrets(option, error.message)}`, { name: option, fix: `correct it in ${file} (or the file it is included from): salt-api-koa refuses to start with this message` })],
    };
  }
  const section = apiSectionName(raw);
  const findings = [
    ok('config', `${file} (API options from its ${section} section)`),
    ...warnings.map((warning) =>
      warn('config', warning, { name: warning.split(':', 1)[0] ?? section, fix: `remove it from ${file} or correct its spelling` }),
    ),
  ];
  return { config: { raw, settings, file, section }, findings };
}
