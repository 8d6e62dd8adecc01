import { test } from "node:test";
import assert from "node:assert/strict";
import {
  bucketDelta,
  bucketQuantile,
  sumBuckets,
} from "../../../src/server/metrics/bucket_quantile.ts";
import { MetricsRegistry } from "../../../src/server/metrics/registry.ts";

const BOUNDS = [1, 2, 4, 8];

/** Equal up to floating-point rounding. */
function near(actual: number | null, expected: number): void {
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-9, `${actual} ≉ ${expected}`);
}

test("bucket quantile: interpolates inside the bucket the rank falls in", () => {
  // 10 observations: 2 in (0,1], 6 in (1,2], 2 in (2,4]; cumulative counts.
  const b = { counts: [2, 8, 10, 10], count: 10 };
  // p50: rank 5, the 3rd of 6 in (1,2] → 1 + 1 * 3/6.
  assert.equal(bucketQuantile(0.5, BOUNDS, b), 1.5);
  // p99: rank 9.9, 1.9 of 2 into (2,4] → 2 + 2 * 0.95.
  near(bucketQuantile(0.99, BOUNDS, b), 3.9);
  // p10: rank 1 in the first bucket, which starts at 0.
  assert.equal(bucketQuantile(0.1, BOUNDS, b), 0.5);
  assert.equal(bucketQuantile(1, BOUNDS, b), 4);
});

test("bucket quantile: none observed is null; beyond the highest bound reads as it", () => {
  assert.equal(bucketQuantile(0.5, BOUNDS, { counts: [0, 0, 0, 0], count: 0 }), null);
  // 4 of 5 observations were over 8 (only in the +Inf total).
  assert.equal(bucketQuantile(0.99, BOUNDS, { counts: [1, 1, 1, 1], count: 5 }), 8);
  assert.equal(bucketQuantile(0, BOUNDS, { counts: [1, 1, 1, 1], count: 1 }), null);
});

test("bucket quantile: an interval's percentiles come from the difference of two readings", () => {
  const before = { counts: [100, 100, 100, 100], count: 100 }; // 100 fast requests earlier
  const after = { counts: [100, 100, 100, 110], count: 110 }; // then 10 in (4,8]
  const d = bucketDelta(before, after);
  assert.deepEqual(d, { counts: [0, 0, 0, 10], count: 10 });
  assert.equal(bucketQuantile(0.5, BOUNDS, d), 6);
  // Over both readings' totals, the slow interval would hide behind the old fast requests.
  assert.ok((bucketQuantile(0.5, BOUNDS, after) ?? 0) < 1);
  // A total that went down is a restarted histogram: the later reading is the interval.
  assert.deepEqual(bucketDelta(after, { counts: [1, 1, 1, 1], count: 1 }), {
    counts: [1, 1, 1, 1],
    count: 1,
  });
  assert.deepEqual(bucketDelta(undefined, after), after);
});

test("bucket quantile: a registry histogram's series add up and give its quantiles", () => {
  const r = new MetricsRegistry();
  const h = r.histogram("t_seconds", "Test.", ["op"], BOUNDS);
  for (let i = 0; i < 9; i++) h.observe(0.5, { op: "get" });
  h.observe(3, { op: "put" });
  const series = r.histogramValues("t_seconds");
  assert.equal(series.length, 2);
  const all = sumBuckets(series, BOUNDS.length);
  assert.deepEqual(all, { counts: [9, 9, 10, 10], count: 10 });
  near(bucketQuantile(0.5, BOUNDS, all), 5 / 9);
  near(bucketQuantile(0.99, BOUNDS, all), 3.8);
  assert.deepEqual(r.histogramValues("nope"), []);
});
