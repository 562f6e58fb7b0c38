/**
 * Adding a response format: `Accept: text/csv` renders a command's return as CSV rows of
 * `minion,value`. Run it with `node dist/examples/csv-serializer.js` after `npm run build`; it
 * starts the embedded sandbox master and serves the API with the extra format on port 8001.
 */
import { createDefaultRegistry, createLogger, renderJson, settingsFromMaster, startServer, type Serializer } from '../src/index.js';
import { startSandbox } from '../src/sandbox/index.js';

/** One row per minion of every element of `return`; values as JSON (salt-api's, exact for big ints). */
function toCsv(value: unknown): string {
  const rows = ['minion,value'];
  const results = (value as { return?: unknown }).return;
  for (const result of Array.isArray(results) ? results : [results]) {
    if (result === null || typeof result !== 'object') continue;
    for (const [minion, ret] of Object.entries(result)) rows.push(`${csvField(minion)},${csvField(renderJson(ret))}`);
  }
  return `${rows.join('\r\n')}\r\n`;
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvSerializer: Serializer = {
  name: 'csv',
  mediaTypes: ['text/csv'],
  contentType: 'text/csv; charset=utf-8',
  render: toCsv,
};

export async function main(port = 8001) {
  const sandbox = await startSandbox();
  const settings = settingsFromMaster({ ...sandbox.config, rest_koa: { port, host: '127.0.0.1', disable_ssl: true } }, 'csv example');
  const registry = createDefaultRegistry().register(csvSerializer);
  const server = await startServer(settings, createLogger({ level: 'info' }), { registry });
  return { url: server.url, async stop() { await server.close(); await sandbox.stop(); } };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const running = await main();
  console.log(`serving with text/csv on ${running.url}`);
  process.once('SIGINT', () => void running.stop());
}
