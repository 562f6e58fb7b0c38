/** The library surface: embed the API, the sandbox master or the format registry in your own program. */
export { startServer, type RunningServer, type ServerOptions } from './server.js';
export { settingsFromMaster } from './config/settings.js';
export { loadMasterConfig } from './config/masterConfig.js';
export { createLogger, flushLogs, type Logger } from './log.js';
export { startSandbox, type Sandbox, type SandboxOptions } from './sandbox/index.js';
export { SerializerRegistry, createDefaultRegistry, contentTypeOf, type Serializer } from '../serializers/index.js';
export { renderJson } from '../serializers/json.js';
export type { Settings, ApiOptions, MasterSettings } from './config/types.js';
export type { Lowstate, LowstateChunk, SaltToken, EventFrame, SaltValue } from './salt/types.js';
