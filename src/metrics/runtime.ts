/**
 * Node's own figures (event-loop lag, heap, GC, file descriptors, CPU) under their usual names
 * (`process_*`, `nodejs_*`), which dashboards for Node already know. They describe the process,
 * not an app: one registry per process, however many apps it runs (tests run several), so the
 * event-loop monitor and the GC observer are set up once.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Gauges prom-client names like counters, which Prometheus's linter (`promtool check metrics`)
 * rejects; the same figures remain by type in `nodejs_active_handles` and the like.
 */
const MISNAMED = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

let runtime: Registry | undefined;

export function runtimeRegistry(): Registry {
  if (!runtime) {
    runtime = new Registry();
    collectDefaultMetrics({ register: runtime });
    for (const name of MISNAMED) runtime.removeSingleMetric(name);
  }
  return runtime;
}
