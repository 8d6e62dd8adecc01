/**
 * Latency percentiles in bounded memory: log-linear buckets (16 per power of
 * two) from 1 µs to ~1 hour, so any quantile is within ~4.4% of the true
 * value whatever the number of samples.
 */
const SUB_BUCKETS = 16;
const POWERS = 32; // 2^32 µs ≈ 71 minutes

export class LatencyHistogram {
  readonly #counts = new Float64Array(POWERS * SUB_BUCKETS);
  #count = 0;
  #maxUs = 0;
  #sumUs = 0;

  get count(): number {
    return this.#count;
  }

  record(us: number): void {
    const v = Math.max(1, us);
    const power = Math.min(POWERS - 1, Math.floor(Math.log2(v)));
    const base = 2 ** power;
    const sub = Math.min(SUB_BUCKETS - 1, Math.floor(((v - base) / base) * SUB_BUCKETS));
    this.#counts[power * SUB_BUCKETS + sub]++;
    this.#count++;
    this.#sumUs += us;
    if (us > this.#maxUs) this.#maxUs = us;
  }

  /** The value at quantile q (0..1), in µs: the upper edge of its bucket. */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.ceil(q * this.#count);
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i];
      if (seen >= rank) {
        const power = Math.floor(i / SUB_BUCKETS), sub = i % SUB_BUCKETS;
        const upper = 2 ** power * (1 + (sub + 1) / SUB_BUCKETS);
        return Math.min(upper, this.#maxUs);
      }
    }
    return this.#maxUs;
  }

  get maxUs(): number {
    return this.#maxUs;
  }

  get meanUs(): number {
    return this.#count === 0 ? 0 : this.#sumUs / this.#count;
  }
}
