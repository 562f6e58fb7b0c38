/**
 * Preloaded into the API process by the hardening and soak benches (`node --import`): on SIGUSR2
 * it prints one line with the event-loop delay since the previous sample and the RSS, then starts
 * a new sample. The API itself knows nothing of it.
 *
 *   loop-probe <n> {"p50Ms": …, "p99Ms": …, "maxMs": …, "rssMiB": …}
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Milliseconds between the histogram's timer ticks: finer would cost the API time. */
const RESOLUTION_MS = 10;

const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
histogram.enable();
let samples = 0;

/** The histogram holds the gaps between ticks of its timer: the delay is what exceeds the period. */
const delayMs = (ns: number) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 100) / 100);

process.on('SIGUSR2', () => {
  const figures = {
    p50Ms: delayMs(histogram.percentile(50)),
    p99Ms: delayMs(histogram.percentile(99)),
    maxMs: delayMs(histogram.max),
    rssMiB: Math.round(process.memoryUsage.rss() / 2 ** 20 * 10) / 10,
  };
  histogram.reset();
  process.stderr.write(`loop-probe ${++samples} ${JSON.stringify(figures)}\n`);
});
