/**
 * Counts kept as plain numbers where they happen (every request, every master round trip) and
 * copied into their prom-client Counter when it is collected, for a scrape or for the cluster
 * primary: prom-client's `inc()` checks and hashes its labels on every call, and a login counts
 * three times. The Counter is still what a scrape reads, formats and aggregates.
 */
import { Counter, type CounterConfiguration } from 'prom-client';

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
