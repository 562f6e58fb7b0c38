/**
 * A binary format both ways: `Content-Type: application/msgpack` bodies are read and
 * `Accept: application/msgpack` answers are written with msgpackr, with a body limit of its own.
 * Run it with `node dist/examples/msgpack-serializer.js` after `npm run build`; it starts the
 * embedded sandbox master and serves the API with the extra format on port 8002.
 */
import { pack, unpack } from 'msgpackr';
import { PyFloat, badRequest, createDefaultRegistry, createLogger, orderedEntries, settingsFromMaster, startServer, type Serializer } from '../src/index.js';
import { startSandbox } from '../src/sandbox/index.js';

/** Lowstates are small: a msgpack body larger than this is a 413, whatever max_request_body_size says. */
const MSGPACK_BODY_LIMIT = 64 * 1024;

/**
 * The API's values as msgpack sees them: a float that happens to be whole (`PyFloat`) as a
 * number, mappings in the order Salt gave them. Big ints are bigints, which msgpackr writes as
 * 64-bit ints.
 */
function plain(value: unknown): unknown {
  if (value instanceof PyFloat) return value.value;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.fromEntries(orderedEntries(value as Record<string, unknown>).map(([key, item]) => [key, plain(item)]));
  }
  return value;
}

export const msgpackSerializer: Serializer = {
  name: 'msgpack',
  mediaTypes: ['application/msgpack', 'application/x-msgpack'],
  bodyLimit: MSGPACK_BODY_LIMIT,
  parseBytes(bytes) {
    try {
      return unpack(bytes);
    } catch {
      // Any ApiError renders in the client's format; badRequest is the 400 for a body we cannot read.
      throw badRequest('Invalid msgpack document');
    }
  },
  render: (value) => pack(plain(value)),
};

export async function main(port = 8002) {
  const sandbox = await startSandbox();
  const settings = settingsFromMaster({ ...sandbox.config, rest_koa: { port, host: '127.0.0.1', disable_ssl: true } }, 'msgpack example');
  const registry = createDefaultRegistry().register(msgpackSerializer);
  const server = await startServer(settings, createLogger({ level: 'info' }), { registry });
  return { url: server.url, async stop() { await server.close(); await sandbox.stop(); } };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const running = await main();
  console.log(`serving with application/msgpack on ${running.url}`);
  process.once('SIGINT', () => void running.stop());
}
