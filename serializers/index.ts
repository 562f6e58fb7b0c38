export { SerializerRegistry, contentTypeOf } from './registry.js';
export { createDefaultRegistry } from './defaults.js';
export { jsonSerializer, parseJson, renderJson } from './json.js';
export { yamlSerializer, parseYaml } from './yaml.js';
export { renderYaml } from './yaml-emitter.js';
export { formSerializer, parseForm } from './form.js';
export { textSerializer, parseText } from './text.js';
export { DEFAULT_YAML_LIMITS, loadSafeYaml, type YamlLimits } from './safe-yaml.js';
export type { ParseOptions, Serializer } from './types.js';
