/**
 * A failure no Salt rule covers is a bug in the sandbox: it is reported on stderr, and the caller
 * answers as the master answers any exception, so a client never sees the sandbox crash.
 */
export function reportUnexpected(where: string, error: unknown): void {
  console.error(`salt sandbox: unexpected error in ${where}:`, error);
}
