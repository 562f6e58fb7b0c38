/**
 * A child process for test/server-start.test.ts: start the API with the settings in
 * $SALT_API_KOA_SETTINGS (a port that is taken), say how that went on stdout and return. The
 * process then exits by itself only if the failed start left nothing open behind it.
 */
import type { Settings } from '../../src/config/types.js';
import { createLogger } from '../../src/log.js';
import { startServer } from '../../src/server.js';

const settings = JSON.parse(process.env.SALT_API_KOA_SETTINGS ?? '') as Settings;
try {
  const server = await startServer(settings, createLogger({ level: 'error' }));
  process.stdout.write(`started on ${server.url}\n`);
  await server.close();
} catch (error) {
  process.stdout.write(`failed: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
}
