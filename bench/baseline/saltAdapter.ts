/** The Salt adapter of a baseline process, built from the sandbox's master config as the API builds its own. */
import { loadMasterConfig } from '../../src/config/masterConfig.js';
import { settingsFromMaster } from '../../src/config/settings.js';
import type { Settings } from '../../src/config/types.js';
import { createLogger } from '../../src/log.js';
import { createSaltAdapter, type SaltAdapter } from '../../src/salt/adapter.js';

export async function saltAdapterFor(configDir: string): Promise<{ settings: Settings; salt: SaltAdapter }> {
  const raw = await loadMasterConfig(configDir);
  const settings = settingsFromMaster(raw, String(raw.conf_file));
  return { settings, salt: await createSaltAdapter(settings, createLogger({ level: 'warning' })) };
}
