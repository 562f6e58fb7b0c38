/**
 * The API process of the hardening and soak benches: the real command against a sandbox master's
 * config, with bench/loopProbe.js preloaded so its event-loop delay can be sampled from outside.
 */
import { fileURLToPath } from 'node:url';
import type { Child, ProcessGroup } from './children.js';

/** A cold start on a loaded two-core machine takes well under a second. */
const READY_TIMEOUT_MS = 15_000;
const SAMPLE_TIMEOUT_MS = 5_000;

export interface LoopSample {
  /** Event-loop delay since the previous sample. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  rssMiB: number;
}

export interface ProbedApi {
  child: Child;
  url: string;
  /** Event-loop delay since the previous sample (or the start), and RSS now. */
  sample(): Promise<LoopSample>;
}

const script = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

export async function startProbedApi(group: ProcessGroup, configDir: string): Promise<ProbedApi> {
  const args = ['--import', script('./loopProbe.js'), script('../src/cli.js'), '-c', configDir, '--port', '0', '--host', '127.0.0.1'];
  const child = group.spawnNode('API', args);
  const [, url] = await child.waitFor(/listening on (http:\/\/\S+)/, READY_TIMEOUT_MS);
  if (url === undefined) throw new Error('the API announced no URL');
  let samples = 0;
  return {
    child,
    url,
    async sample() {
      const line = new RegExp(`loop-probe ${++samples} (\\{[^\\n]*\\})`);
      process.kill(child.pid, 'SIGUSR2');
      const [, json] = await child.waitFor(line, SAMPLE_TIMEOUT_MS);
      return JSON.parse(json ?? '{}') as LoopSample;
    },
  };
}
