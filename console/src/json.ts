/** The values JSON carries, and narrowing for what the API answers. */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value[key]` when `value` is an object, else undefined. */
export function field(value: Json | undefined, key: string): Json | undefined {
  return isObject(value) ? value[key] : undefined;
}

export function text(value: Json | undefined): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The first item of a list (the API's `return` lists hold one result per lowstate chunk). */
export function first(value: Json | undefined): Json | undefined {
  return Array.isArray(value) ? value[0] : undefined;
}
