/**
 * The most recent round-trip times in a fixed-size ring, so memory stays bounded however long
 * the process runs and the percentiles describe the master as it is now, not since start-up.
 */

export interface LatencyPercentiles {
  /** Samples the percentiles are computed from (at most the ring's capacity). */
  samples: number;
  /** Milliseconds; null until the first sample. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export class LatencySamples {
  private readonly ring: Float64Array;
  private count = 0;
  private next = 0;

  constructor(capacity = 1024) {
    this.ring = new Float64Array(capacity);
  }

  record(milliseconds: number): void {
    this.ring[this.next] = milliseconds;
    this.next = (this.next + 1) % this.ring.length;
    if (this.count < this.ring.length) this.count++;
  }

  /** Nearest-rank percentiles of the samples held, rounded to microseconds. */
  percentiles(): LatencyPercentiles {
    const sorted = this.ring.slice(0, this.count).sort();
    const rank = (p: number): number | null => {
      if (sorted.length === 0) return null;
      const value = sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
      return Math.round(value * 1000) / 1000;
    };
    return { samples: sorted.length, p50: rank(50), p90: rank(90), p99: rank(99) };
  }
}
