/**
 * A latency histogram with constant memory: log-spaced buckets 1 % wide, so a percentile is reported
 * within 1 % of the true value however many samples there are. Min, max and mean are exact.
 *
 * @packageDocumentation
 */

const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** Samples are kept in microseconds; the last bucket holds everything above ~1000 s. */
const MAX_BUCKET = Math.ceil(Math.log(1e9) / LOG_GROWTH);

/** Latency summary in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly minMs: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export class LatencyHistogram {
  readonly #buckets = new Float64Array(MAX_BUCKET + 1);
  #count = 0;
  #sumMs = 0;
  #minMs = Number.POSITIVE_INFINITY;
  #maxMs = 0;

  /** Number of samples recorded. */
  get count(): number {
    return this.#count;
  }

  /** Records one latency in milliseconds (negative values count as 0). */
  record(ms: number): void {
    const v = Math.max(0, ms);
    const us = Math.max(1, v * 1000);
    this.#buckets[Math.min(MAX_BUCKET, Math.ceil(Math.log(us) / LOG_GROWTH))]! += 1;
    this.#count++;
    this.#sumMs += v;
    if (v < this.#minMs) this.#minMs = v;
    if (v > this.#maxMs) this.#maxMs = v;
  }

  /** The latency at quantile `q` (0–1) in ms: the upper edge of the bucket holding it, capped at max. */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i <= MAX_BUCKET; i++) {
      seen += this.#buckets[i]!;
      if (seen >= rank) return Math.min(this.#maxMs, Math.max(this.#minMs, GROWTH ** i / 1000));
    }
    return this.#maxMs;
  }

  /** The summary of everything recorded. */
  summary(): LatencySummary {
    const n = this.#count;
    return {
      count: n,
      minMs: n === 0 ? 0 : this.#minMs,
      meanMs: n === 0 ? 0 : this.#sumMs / n,
      p50Ms: this.quantile(0.5),
      p90Ms: this.quantile(0.9),
      p99Ms: this.quantile(0.99),
      maxMs: this.#maxMs,
    };
  }
}
