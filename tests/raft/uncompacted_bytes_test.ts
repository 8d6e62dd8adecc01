/**
 * UncompactedBytes (src/raft/multi/uncompacted_bytes.ts): the node's regions' applied,
 * uncompacted bytes summed from each region's latest count, and which regions compact once the
 * sum reaches the bound (most bytes first, until at most half the bound is left).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { UncompactedBytes } from "../../src/raft/multi/uncompacted_bytes.ts";

test("uncompacted bytes: the total follows each region's latest count", () => {
  const u = new UncompactedBytes(1000);
  assert.equal(u.note(1, 300), false);
  assert.equal(u.note(2, 300), false);
  assert.equal(u.note(1, 500), false, "a region's count replaces its last one");
  assert.equal(u.total, 800);
  assert.equal(u.note(3, 200), true, "the bound is reached at 1,000");
  u.forget(2);
  assert.equal(u.total, 700);
  assert.equal(u.note(1, 0), false, "a compacted region counts nothing");
  assert.equal(u.total, 200);
});

test("uncompacted bytes: the biggest regions are picked until half the bound is left", () => {
  const u = new UncompactedBytes(1000);
  u.note(1, 100);
  u.note(2, 400);
  u.note(3, 250);
  u.note(4, 300);
  u.note(5, 0);
  assert.deepEqual(u.biggest(), [2, 4], "1,050 → 650 → 350 (≤ 500)");
  const one = new UncompactedBytes(1000);
  one.note(7, 1200);
  assert.deepEqual(one.biggest(), [7]);
  assert.deepEqual(new UncompactedBytes(1000).biggest(), []);
});
