import { formSerializer } from './form.js';
import { jsonSerializer } from './json.js';
import { SerializerRegistry } from './registry.js';
import { textSerializer } from './text.js';
import { yamlSerializer } from './yaml.js';

/**
 * A registry with salt-api's formats. JSON is registered first because it is the default
 * response format; YAML second, the only other one offered.
 */
export function createDefaultRegistry(): SerializerRegistry {
  return new SerializerRegistry()
    .register(jsonSerializer)
    .register(yamlSerializer)
    .register(formSerializer)
    .register(textSerializer);
}
