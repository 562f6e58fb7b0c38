/**
 * Data read from a request may carry a `__proto__` key; plain assignment would swap the object's
 * prototype instead of storing the member, so that one key is defined as an own property.
 */
export function setMember<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
