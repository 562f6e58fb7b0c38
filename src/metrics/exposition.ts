/** What `GET /metrics` answers with: the text and its Content-Type. */
import type { Metrics } from './registry.js';

export interface MetricsExposition {
  readonly contentType: string;
  text(): Promise<string>;
}

/** This process's own metrics (a single process, or an app embedded in one). */
export function processExposition(metrics: Metrics): MetricsExposition {
  return { contentType: metrics.contentType, text: () => metrics.exposition() };
}
