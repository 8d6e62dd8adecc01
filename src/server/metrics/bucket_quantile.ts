/**
 * Latency percentiles for one interval from a histogram's bucket counts
 * (the dashboard's p50/p99 charts, metrics_history.ts). A histogram keeps
 * running totals, so one interval's observations are the difference of two
 * readings; the quantile is then estimated inside the bucket it falls in, by
 * linear interpolation, as Prometheus' `histogram_quantile` does.
 */

/** Cumulative counts: `counts[i]` observations were <= `bounds[i]`; `count` is every one. */
export interface BucketCounts {
  readonly counts: readonly number[];
  readonly count: number;
}

/** Adds series with the same bounds (e.g. every operation's latency) into one. */
export function sumBuckets(series: readonly BucketCounts[], buckets: number): BucketCounts {
  const counts = new Array<number>(buckets).fill(0);
  let count = 0;
  for (const s of series) {
    for (let i = 0; i < buckets; i++) counts[i] += s.counts[i] ?? 0;
    count += s.count;
  }
  return { counts, count };
}

/**
 * The observations counted between two readings. When the later total is
 * below the earlier one the histogram restarted, and the later reading is
 * the interval's whole (as Prometheus treats a counter reset).
 */
export function bucketDelta(before: BucketCounts | undefined, after: BucketCounts): BucketCounts {
  if (before === undefined || after.count < before.count) return after;
  return {
    counts: after.counts.map((n, i) => Math.max(0, n - (before.counts[i] ?? 0))),
    count: after.count - before.count,
  };
}

/**
 * The q-quantile (0 < q <= 1) of the observations in `b`, or null when there
 * are none. The lowest bucket starts at 0 (durations are not negative); a
 * quantile beyond the highest bound reads as that bound (the +Inf bucket has
 * no upper edge to interpolate to).
 */
export function bucketQuantile(
  q: number,
  bounds: readonly number[],
  b: BucketCounts,
): number | null {
  if (b.count <= 0 || !(q > 0 && q <= 1)) return null;
  const rank = q * b.count;
  for (let i = 0; i < bounds.length; i++) {
    const below = i === 0 ? 0 : b.counts[i - 1];
    if (b.counts[i] < rank) continue;
    const lower = i === 0 ? 0 : bounds[i - 1];
    const inBucket = b.counts[i] - below;
    return lower + (bounds[i] - lower) * ((rank - below) / inBucket);
  }
  return bounds.length === 0 ? null : bounds[bounds.length - 1];
}
