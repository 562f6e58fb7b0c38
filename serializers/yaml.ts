/**
 * `application/x-yaml` (also read as `text/yaml`): Salt's safe YAML 1.1 loader with size and
 * depth limits, and output byte-identical to salt-api's `safe_dump(default_flow_style=False)`.
 * Only `application/x-yaml` is offered for responses: the registry negotiates on canonical types.
 */

import { DEFAULT_YAML_LIMITS, loadSafeYaml } from './safe-yaml.js';
import type { ParseOptions, Serializer } from './types.js';
import { renderYamlBytes, renderYamlChunks } from './yaml-emitter.js';

export function parseYaml(text: string, options: ParseOptions): unknown {
  return loadSafeYaml(text, { ...DEFAULT_YAML_LIMITS, maxDepth: options.maxDepth });
}

export const yamlSerializer: Serializer = {
  name: 'yaml',
  mediaTypes: ['application/x-yaml', 'text/yaml'],
  contentType: 'application/x-yaml',
  parse: parseYaml,
  render: renderYamlBytes,
  renderChunks: renderYamlChunks,
  rendersPacked: true,
};
