/** What the figures were measured on. */
import os from 'node:os';

export function describeMachine(): string {
  const model = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const memory = (os.totalmem() / 2 ** 30).toFixed(1);
  // Other work on the machine skews every figure; the load at the start tells whether there was any.
  const load = os.loadavg()[0]?.toFixed(2) ?? '?';
  return `${os.availableParallelism()} cores (${model}), ${memory} GiB RAM, node ${process.version}, ${process.platform}/${process.arch}; load average ${load} at start`;
}
