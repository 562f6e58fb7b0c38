import { PYTHON_DICT, isIndexKey, noteKey } from './python-values.js';

/**
 * Data read from a request, a master reply or a config file may carry a `__proto__` key; plain
 * assignment would swap the object's prototype instead of storing the member, so that one key is
 * defined as an own property. The target's type decides the value's.
 *
 * An integer-like key (or any key of an object that already has one) is also recorded in the
 * object's Python key order (python-values.ts), so that a mapping built member by member keeps
 * the order its members came in, as a Python dict does.
 */
export function setMember<T>(target: Record<string, T>, key: string, value: NoInfer<T>): void {
  if (isIndexKey(key) || (target as { [PYTHON_DICT]?: unknown })[PYTHON_DICT] !== undefined) noteKey(target, key);
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
