/**
 * Counts and latencies kept as plain numbers where they happen (every request, every master
 * round trip) and handed to prom-client when a scrape or the cluster primary reads them:
 * prom-client's `inc()` and `observe()` check and hash their labels on every call, and a login
 * counts three times and observes twice. prom-client still formats, labels and aggregates them.
 */
import { Counter, type CounterConfiguration, type Metric, type Registry } from 'prom-client';

/** One series: its label values, fixed when it is made, and its count so far. */
export interface TallySeries<L extends string> {
  readonly labels: Readonly<Record<L, string>>;
  count: number;
}

export class Tally<L extends string> {
  private readonly all: TallySeries<L>[] = [];

  /** A tally and the prom-client Counter (`configuration`, without `collect`) it is read through. */
  static counter<L extends string>(configuration: Omit<CounterConfiguration<L>, 'collect'>): Tally<L> {
    const tally = new Tally<L>();
    new Counter<L>({
      ...configuration,
      collect() {
        tally.copyInto(this);
      },
    });
    return tally;
  }

  /** A new series of this counter, at 0. */
  series(labels: Record<L, string>): TallySeries<L> {
    const series = { labels, count: 0 };
    this.all.push(series);
    return series;
  }

  /** Its counter's values become the counts (a series never counted stays out, as before its first `inc()`). */
  private copyInto(counter: Counter<L>): void {
    counter.reset();
    for (const { labels, count } of this.all) if (count > 0) counter.inc(labels, count);
  }
}

/** One histogram series: its label values and what it observed, per bucket (not cumulative). */
export interface HistogramSeries<L extends string> {
  readonly labels: Readonly<Record<L, string>>;
  /** Observations at or below each bound, above the one before; the last slot holds those above them all. */
  readonly counts: number[];
  sum: number;
  count: number;
  /** Whether the histogram lists it yet: from its first observation on. */
  listed: boolean;
}

export interface HistogramTallyConfiguration {
  name: string;
  help: string;
  /** Upper bounds of the buckets, ascending (`+Inf` is implied). */
  buckets: readonly number[];
  registers: readonly Registry[];
}

/** One line of a histogram: a `_bucket` (with `le`, and no exemplar), its `_sum` or its `_count`. */
interface HistogramValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
  exemplar?: null;
}

/**
 * What a registry reads of a histogram, as a prom-client Histogram's get() gives it (prom-client's
 * typings call `type` a numeric enum; it is this string).
 */
interface HistogramData {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: HistogramValue[];
}

/**
 * A histogram whose series are plain arrays of bucket counts. It is registered as a metric of its
 * own and describes itself to the registry exactly as a prom-client Histogram with the same
 * observations would (same series, labels in the same order, same values), so a scrape, a merged
 * registry and the cluster aggregation read it alike.
 */
export class HistogramTally<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly bounds: readonly number[];
  private readonly all: HistogramSeries<L>[] = [];

  constructor({ name, help, buckets, registers }: HistogramTallyConfiguration) {
    this.name = name;
    this.help = help;
    this.bounds = [...buckets];
    // The registry's Metric type lists prom-client's own classes; it reads name, help, type,
    // aggregator, get() and reset(), which this class has.
    for (const registry of registers) registry.registerMetric(this as unknown as Metric);
  }

  /** A new series, empty: it is exposed from its first observation on, in that order, as with prom-client. */
  series(labels: Record<L, string>): HistogramSeries<L> {
    return { labels, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0, listed: false };
  }

  observe(series: HistogramSeries<L>, value: number): void {
    const { bounds } = this;
    let bucket = 0;
    while (bucket < bounds.length && !(value <= bounds[bucket]!)) bucket++;
    series.counts[bucket]!++;
    series.sum += value;
    series.count++;
    if (!series.listed) {
      series.listed = true;
      this.all.push(series);
    }
  }

  async get(): Promise<HistogramData> {
    const values: HistogramValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const { labels, counts, sum, count } of this.all) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += counts[i]!;
        values.push({ labels: { le: bound, ...labels }, value: cumulative, metricName: bucketName, exemplar: null });
      });
      values.push(
        { labels: { le: '+Inf', ...labels }, value: count, metricName: bucketName, exemplar: null },
        { labels: { ...labels }, value: sum, metricName: `${this.name}_sum` },
        { labels: { ...labels }, value: count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** As prom-client's: every series gone until it is observed again. */
  reset(): void {
    for (const series of this.all) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
      series.listed = false;
    }
    this.all.length = 0;
  }
}
