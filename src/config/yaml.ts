/**
 * YAML as Salt reads its config files (salt.utils.yaml.safe_load → SaltYamlSafeLoader, PyYAML's
 * YAML 1.1 safe loader with Salt's tweaks), built on js-yaml's YAML 1.1 schema.
 */
import {
  NOT_RESOLVED,
  YAML11_SCHEMA,
  YAMLException,
  boolYaml11Tag,
  defineScalarTag,
  intYaml11Tag,
  loadAll,
} from 'js-yaml';
import { ConfigError } from './configError.js';

/** PyYAML's implicit booleans; js-yaml's YAML 1.1 tag also takes `y`/`n`, which PyYAML leaves as strings. */
const IMPLICIT_BOOLS = new Map<string, boolean>([
  ...['yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((word): [string, boolean] => [word, true]),
  ...['no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((word): [string, boolean] => [word, false]),
]);

const pyBoolTag = defineScalarTag<boolean>('tag:yaml.org,2002:bool', {
  implicit: true,
  implicitFirstChars: ['y', 'Y', 'n', 'N', 't', 'T', 'f', 'F', 'o', 'O'],
  // An explicit `!!bool` is looked up case-insensitively by PyYAML (construct_yaml_bool).
  resolve: (source, isExplicit) =>
    IMPLICIT_BOOLS.get(isExplicit ? source.toLowerCase() : source) ?? NOT_RESOLVED,
  identify: boolYaml11Tag.identify,
  represent: boolYaml11Tag.represent,
});

/** SaltYamlSafeLoader.construct_scalar strips leading zeros, so `0750` is 750, not octal 488. */
const saltIntTag = defineScalarTag<number>('tag:yaml.org,2002:int', {
  implicit: true,
  implicitFirstChars: intYaml11Tag.implicitFirstChars,
  resolve: (source, isExplicit, tagName) => {
    const value = intYaml11Tag.resolve(source, isExplicit, tagName);
    if (value === NOT_RESOLVED || !/^0[0-7_]/.test(source)) return value;
    return Number.parseInt(source.replace(/_/g, ''), 10);
  },
  identify: intYaml11Tag.identify,
  represent: intYaml11Tag.represent,
});

/** SaltYamlSafeLoader builds timestamps as plain scalars: dates stay strings. */
const timestampAsTextTag = defineScalarTag<string>('tag:yaml.org,2002:timestamp', {
  resolve: (source) => source,
  identify: () => false,
});

const SALT_SCHEMA = YAML11_SCHEMA.withTags(pyBoolTag, saltIntTag, timestampAsTextTag);

/**
 * Parse one config file's text. An empty file is `null` (callers treat it like Salt's `or {}`);
 * more than one document, like any syntax error, is a ConfigError naming the file and position.
 */
export function parseSaltYaml(text: string, filename: string): unknown {
  let documents: unknown[];
  try {
    // Duplicate keys throw here, as SaltYamlSafeLoader's "Conflicting ID" does.
    documents = loadAll(text, { schema: SALT_SCHEMA, filename });
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const where = error.mark ? ` (line ${error.mark.line + 1}, column ${error.mark.column + 1})` : '';
    throw new ConfigError(`${filename}: invalid YAML: ${error.reason}${where}`);
  }
  if (documents.length > 1) {
    throw new ConfigError(`${filename}: invalid YAML: expected a single document, found ${documents.length}`);
  }
  return documents[0] ?? null;
}
