/**
 * The API process of the hardening and soak benches: the real command against a sandbox master's
 * config, with bench/loopProbe.js preloaded so its event-loop delay can be sampled from outside.
 */
import type { Child, ProcessGroup } from './children.js';
import { script, startServer } from './servers.js';

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

export async function startProbedApi(group: ProcessGroup, configDir: string): Promise<ProbedApi> {
  const args = ['--import', script('./loopProbe.js'), script('../src/cli.js'), '-c', configDir, '--port', '0', '--host', '127.0.0.1'];
  const { child, url } = await startServer(group, 'API', args);
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
