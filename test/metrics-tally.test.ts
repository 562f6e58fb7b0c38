/**
 * The plain-number histograms of /metrics (src/metrics/tally.ts) against prom-client's own
 * Histogram: fed the same observations, a scrape, the JSON the cluster primary collects and
 * prom-client's cluster aggregation of it read the same.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { HistogramTally } from '../src/metrics/tally.js';
import type { MetricsJson } from '../src/metrics/registry.js';
import { seeded } from './support/fuzz.js';

const NAME = 'test_duration_seconds';
const HELP = 'A duration.';
const BUCKETS = [0.0005, 0.001, 0.0025, 0.01, 0.5, 1, 60];
const SERIES = [
  { route: '/login', method: 'POST' },
  { route: '/', method: 'POST' },
  { route: '/jobs/:jid', method: 'GET' },
  { route: 'other', method: 'other' },
];

type Observation = [series: number, value: number];

/** Values on, between, below and above the bounds, with sums that round in float arithmetic. */
const observation: fc.Arbitrary<Observation> = fc.tuple(
  fc.nat({ max: SERIES.length - 1 }),
  fc.oneof(fc.constantFrom(0, ...BUCKETS), fc.double({ min: 0, max: 120, noNaN: true }), fc.integer({ min: 1, max: 10_000 }).map((n) => n / 7919)),
);

/** The same observations in a prom-client Histogram and in a HistogramTally, each in its own registry. */
function fed(observations: readonly Observation[]): { theirs: Registry; ours: Registry } {
  const theirs = new Registry();
  const histogram = new Histogram({ name: NAME, help: HELP, labelNames: ['route', 'method'], buckets: BUCKETS, registers: [theirs] });
  const ours = new Registry();
  const tally = new HistogramTally<'route' | 'method'>({ name: NAME, help: HELP, buckets: BUCKETS, registers: [ours] });
  const series = SERIES.map((labels) => tally.series({ ...labels }));
  for (const [i, value] of observations) {
    histogram.observe(SERIES[i]!, value);
    tally.observe(series[i]!, value);
  }
  return { theirs, ours };
}

describe('metrics: plain-number histograms', () => {
  it('scrape exactly as prom-client\'s Histogram with the same observations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 200 }), async (observations) => {
        const { theirs, ours } = fed(observations);
        expect(await ours.metrics()).to.equal(await theirs.metrics());
      }),
      seeded(200),
    );
  });

  it('give the cluster primary the same JSON, worker label included, and aggregate alike', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 100 }), fc.array(observation, { maxLength: 100 }), async (first, second) => {
        const workers = [fed(first), fed(second)];
        workers.forEach(({ theirs, ours }, slot) => {
          theirs.setDefaultLabels({ worker: String(slot + 1) });
          ours.setDefaultLabels({ worker: String(slot + 1) });
        });
        // As a worker sends them to the primary: through JSON.
        const sent = async (registry: Registry) => JSON.parse(JSON.stringify(await registry.getMetricsAsJSON())) as MetricsJson;
        const theirJson = await Promise.all(workers.map(({ theirs }) => sent(theirs)));
        const ourJson = await Promise.all(workers.map(({ ours }) => sent(ours)));
        expect(ourJson).to.deep.equal(theirJson);
        expect(await AggregatorRegistry.aggregate(ourJson).metrics()).to.equal(await AggregatorRegistry.aggregate(theirJson).metrics());
      }),
      seeded(100),
    );
  });

  it('expose a series from its first observation on, and none after a reset', async () => {
    const registry = new Registry();
    const tally = new HistogramTally<'cmd'>({ name: NAME, help: HELP, buckets: BUCKETS, registers: [registry] });
    const series = tally.series({ cmd: 'publish' });
    tally.series({ cmd: 'runner' });
    expect(await registry.metrics()).not.to.include(`${NAME}_count`);
    tally.observe(series, 0.001);
    tally.observe(series, 2);
    const text = await registry.metrics();
    expect(text).to.include(`${NAME}_bucket{le="0.001",cmd="publish"} 1\n`);
    expect(text).to.include(`${NAME}_bucket{le="1",cmd="publish"} 1\n`);
    expect(text).to.include(`${NAME}_bucket{le="60",cmd="publish"} 2\n`);
    expect(text).to.include(`${NAME}_bucket{le="+Inf",cmd="publish"} 2\n`);
    expect(text).to.include(`${NAME}_sum{cmd="publish"} 2.001\n`);
    expect(text).not.to.include('cmd="runner"');
    registry.resetMetrics();
    expect(await registry.metrics()).not.to.include(`${NAME}_count`);
  });
});
