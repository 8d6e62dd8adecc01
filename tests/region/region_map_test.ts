import { test } from "node:test";
import assert from "node:assert/strict";
import {
  initialRegion,
  mergeDescriptors,
  type RegionDescriptor,
  splitDescriptor,
} from "../../src/region/descriptor.ts";
import { RegionMap } from "../../src/region/region_map.ts";

const k = (s: string) => new TextEncoder().encode(s);
const ids = (rs: readonly RegionDescriptor[]) => rs.map((r) => r.id);

test("region map: lookups and range queries after a split", () => {
  const map = new RegionMap();
  const [left, right] = splitDescriptor(initialRegion([1]), k("m"), 2);
  assert.ok(map.update(right));
  assert.equal(map.lookup(k("a")), undefined, "nothing known below m yet");
  assert.deepEqual(map.firstGap(), { start: k(""), end: k("m") });
  assert.ok(map.update(left));
  assert.equal(map.lookup(k(""))?.id, 1);
  assert.equal(map.lookup(k("m"))?.id, 2);
  assert.equal(map.lookup(k("\u00ff"))?.id, 2);
  assert.deepEqual(ids(map.overlapping(k("a"), k("m"))), [1]);
  assert.deepEqual(ids(map.overlapping(k("a"), k("m\u0000"))), [1, 2]);
  assert.deepEqual(ids(map.overlapping(k("n"), k(""))), [2]);
  assert.equal(map.firstGap(), undefined);
});

test("region map: a stale report never replaces what a split or merge produced", () => {
  const map = new RegionMap();
  const parent = initialRegion([1, 2, 3]);
  const [left, right] = splitDescriptor(parent, k("m"), 2);
  assert.ok(map.update(left) && map.update(right));
  assert.ok(!map.update(parent), "the parent is older than both halves");
  const merged = mergeDescriptors(left, right);
  assert.ok(map.update(merged));
  assert.deepEqual(ids(map.all()), [1]);
  assert.ok(!map.update(right) && !map.update(left));
  const moved = { ...merged, epoch: { ...merged.epoch, confVer: 2 }, replicas: [] as never[] };
  assert.throws(() => map.update(moved), /no voter/);
  const learner = {
    ...merged,
    epoch: { ...merged.epoch, confVer: 2 },
    replicas: [...merged.replicas, { nodeId: 4, role: "learner" as const }],
  };
  assert.ok(map.update(learner));
  assert.ok(!map.update(merged), "an older confVer of the same region is ignored");
  assert.equal(map.byId(1)?.replicas.length, 4);
});
