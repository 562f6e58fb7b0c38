/**
 * `GET /metrics` with `workers: N`: whichever worker gets the scrape answers for all of them.
 * prom-client's cluster support collects from the primary (AggregatorRegistry.clusterMetrics()
 * asks every worker for its registries over the IPC channel and adds them up), and the primary
 * serves no HTTP here; so the worker asks the primary to collect, and answers with what it returns.
 *
 * Each worker's series carry `worker="<slot>"` (0…N-1, reused by a replacement), so the workers
 * are never added up inside the API: a replaced worker's counters restart from zero in their own
 * series, which Prometheus reads as the counter reset it is, whereas in a sum they would drop by
 * the dead worker's count and make `rate()` count the survivors' totals again.
 */
import type { Worker } from 'node:cluster';
import { AggregatorRegistry, type PrometheusContentType } from 'prom-client';
import { Errors } from '../errors.js';
import type { MetricsExposition } from './exposition.js';
import type { Metrics } from './registry.js';

/** Worker → primary: collect every worker's metrics. */
export interface MetricsRequest {
  type: 'metrics?';
  id: number;
}

/** Primary → worker: the sum over the workers, or why there is none. */
interface MetricsAnswer {
  type: 'metrics';
  id: number;
  text?: string;
  error?: string;
}

/** prom-client gives up on a silent worker after 5 s; this is only the backstop. */
const ANSWER_TIMEOUT_MS = 10_000;

export function isMetricsRequest(message: unknown): message is MetricsRequest {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'metrics?' && typeof (message as { id?: unknown }).id === 'number';
}

function isMetricsAnswer(message: unknown): message is MetricsAnswer {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'metrics' && typeof (message as { id?: unknown }).id === 'number';
}

let aggregator: AggregatorRegistry<PrometheusContentType> | undefined;

/** In the primary: collect from every worker and send the sum to the worker that asked. */
export function answerMetricsRequest(worker: Worker, request: MetricsRequest): void {
  aggregator ??= new AggregatorRegistry<PrometheusContentType>();
  const reply = (answer: Omit<MetricsAnswer, 'type' | 'id'>) => {
    if (worker.isConnected()) worker.send({ type: 'metrics', id: request.id, ...answer } satisfies MetricsAnswer);
  };
  aggregator.clusterMetrics().then(
    (text: string) => reply({ text }),
    (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
  );
}

interface Pending {
  resolve(text: string): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** In the worker in `slot`: the metrics of every worker, collected by the primary. */
export function clusterExposition(metrics: Metrics, slot: number): MetricsExposition {
  metrics.joinCluster(slot);
  const pending = new Map<number, Pending>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    if (!isMetricsAnswer(message)) return;
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    clearTimeout(waiting.timer);
    if (message.text !== undefined) waiting.resolve(message.text);
    else waiting.reject(Errors.MetricsUnavailable(message.error ?? 'no answer'));
  });
  return {
    contentType: metrics.contentType,
    text() {
      const send = process.send?.bind(process);
      if (!send) return Promise.reject(Errors.MetricsUnavailable('this process is no cluster worker'));
      const id = nextId++;
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(Errors.MetricsUnavailable('the primary process did not answer in time'));
        }, ANSWER_TIMEOUT_MS);
        pending.set(id, { resolve, reject, timer });
        send({ type: 'metrics?', id } satisfies MetricsRequest);
      });
    },
  };
}
