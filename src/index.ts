/**
 * The library surface: embed the API or the format registry in your own program. The embedded
 * sandbox master is `salt-api-koa/sandbox` (src/sandbox/index.ts), so the main entry never loads it.
 */
export { startServer, type RunningServer, type ServerOptions } from './server.js';
export { settingsFromMaster } from './config/settings.js';
export { loadMasterConfig } from './config/masterConfig.js';
export { createLogger, flushLogs, type Logger } from './log.js';
export { SerializerRegistry, createDefaultRegistry, contentTypeOf, type Serializer } from '../serializers/index.js';
export { renderJson } from '../serializers/json.js';
export { renderYaml } from '../serializers/yaml-emitter.js';
export { PyFloat, orderedEntries } from '../serializers/python-values.js';
export { PackedValue, unpackAll } from './salt/packedValue.js';
export type { ChunkOptions, ParseOptions } from '../serializers/types.js';
export { badRequest } from './errors.js';
export type { Settings, ApiOptions, MasterSettings } from './config/types.js';
export type { Lowstate, LowstateChunk, SaltToken, EventFrame, SaltValue } from './salt/types.js';
