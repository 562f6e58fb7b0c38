/**
 * `GET /metrics` with `workers: N`: whichever worker gets the scrape answers for all of them. It
 * asks the primary (which serves no HTTP), the primary asks every worker that is ready for its
 * metrics over the cluster's IPC channel, puts them together with prom-client's
 * `AggregatorRegistry.aggregate()` and sends the text back. prom-client's own `clusterMetrics()`
 * would ask every forked worker, and a replacement still starting up would hold every scrape
 * until its timeout; so the asking is done here, of ready workers only.
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
import type { Metrics, MetricsJson } from './registry.js';

/** Worker → primary: a scrape came in, collect every worker's metrics. */
interface ScrapeRequest {
  type: 'metrics?';
  id: number;
}

/** Primary → worker: the collected text, or why there is none. */
interface ScrapeAnswer {
  type: 'metrics';
  id: number;
  text?: string;
  error?: string;
}

/** Primary → worker: send your metrics for collection `id`. */
interface CollectRequest {
  type: 'metrics:collect';
  id: number;
}

/** Worker → primary: its metrics for collection `id`. */
interface CollectPart {
  type: 'metrics:part';
  id: number;
  metrics: MetricsJson;
}

/** A worker that does not send its part in this time fails the scrape (503). */
const COLLECT_TIMEOUT_MS = 5000;
/** The worker's backstop, should the primary never answer. */
const ANSWER_TIMEOUT_MS = 10_000;

function isMessage<T extends { type: string; id: number }>(type: T['type'], message: unknown): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type && typeof (message as { id?: unknown }).id === 'number';
}

interface Collection {
  waiting: Set<Worker>;
  parts: MetricsJson[];
  done(error?: Error): void;
}

/** In the primary: answers the workers' scrape requests with every ready worker's metrics. */
export class MetricsCollector {
  private nextId = 0;
  private readonly collections = new Map<number, Collection>();

  constructor(private readonly readyWorkers: () => Iterable<Worker>) {}

  /** Take `message` from `worker` if it is about metrics; whether it was. */
  handle(worker: Worker, message: unknown): boolean {
    if (isMessage<ScrapeRequest>('metrics?', message)) {
      this.answer(worker, message.id);
      return true;
    }
    if (isMessage<CollectPart>('metrics:part', message)) {
      const collection = this.collections.get(message.id);
      if (collection?.waiting.delete(worker)) {
        collection.parts.push(message.metrics);
        if (collection.waiting.size === 0) collection.done();
      }
      return true;
    }
    return false;
  }

  private answer(worker: Worker, id: number): void {
    const reply = (answer: Omit<ScrapeAnswer, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: 'metrics', id, ...answer } satisfies ScrapeAnswer);
    };
    this.collect(worker).then(
      (text) => reply({ text }),
      (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
    );
  }

  /** Every ready worker's metrics (and the asking one's, ready or not yet reported) as one text. */
  private collect(asking: Worker): Promise<string> {
    const id = this.nextId++;
    const workers = new Set([...this.readyWorkers(), asking].filter((worker) => worker.isConnected()));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`${collection.waiting.size} of ${workers.size} workers did not send their metrics within ${COLLECT_TIMEOUT_MS / 1000} s`)), COLLECT_TIMEOUT_MS);
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.collections.delete(id);
        if (error) return reject(error);
        // Later, so a failure becomes the scrape's 503 instead of an exception in the message handler.
        Promise.resolve(collection.parts)
          .then((parts) => AggregatorRegistry.aggregate<PrometheusContentType>(parts).metrics())
          .then(resolve, reject);
      };
      const collection: Collection = { waiting: new Set(workers), parts: [], done };
      this.collections.set(id, collection);
      for (const worker of workers) worker.send({ type: 'metrics:collect', id } satisfies CollectRequest);
    });
  }
}

interface Pending {
  resolve(text: string): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** In the worker in `slot`: the metrics of every worker, collected by the primary. */
export function clusterExposition(metrics: Metrics, slot: number): MetricsExposition {
  metrics.labelWorker(slot);
  const pending = new Map<number, Pending>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    if (isMessage<CollectRequest>('metrics:collect', message)) {
      const { id } = message;
      metrics.json().then(
        (part) => process.send?.({ type: 'metrics:part', id, metrics: part } satisfies CollectPart),
        // Nothing is sent: the primary reports this worker's missing part as a failed scrape.
        () => undefined,
      );
      return;
    }
    if (!isMessage<ScrapeAnswer>('metrics', message)) return;
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
        send({ type: 'metrics?', id } satisfies ScrapeRequest);
      });
    },
  };
}
