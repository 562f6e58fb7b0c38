/**
 * Data read from a request, a master reply or a config file may carry a `__proto__` key; plain
 * assignment would swap the object's prototype instead of storing the member, so that one key is
 * defined as an own property. The target's type decides the value's.
 */
export function setMember<T>(target: Record<string, T>, key: string, value: NoInfer<T>): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
