import { test } from "node:test";
import assert from "node:assert/strict";
import { ModelCluster } from "./model_cluster.ts";
import type { SchedulerOptions } from "../../src/placement/scheduler.ts";

const MERGE_BYTES = 1_000;

/**
 * Nodes with their zones, and regions 1..4 over the keyspace: region 1 (pinned, as on a node)
 * on nodes 1-3, the others on the voters given, with the sizes given. A high region tolerance
 * keeps the region balance out of the way.
 */
function cluster(
  zones: readonly string[],
  voters: Record<number, number[]>,
  sizes: Record<number, number>,
  options: Partial<SchedulerOptions> = {},
  replaceTimeoutMs = 60_000,
): ModelCluster {
  const c = new ModelCluster(replaceTimeoutMs, {
    mergeBytes: MERGE_BYTES,
    regionTolerance: 1_000,
    pinned: [1],
    ...options,
  });
  zones.forEach((z, i) => c.addNode(i + 1, z));
  c.addRegions(4, [1, 2, 3]);
  for (const r of c.regions) {
    const ids = voters[r.d.id];
    if (ids !== undefined) {
      r.d = { ...r.d, replicas: ids.map((nodeId) => ({ nodeId, role: "voter" as const })) };
      r.leader = ids[0];
    }
    const size = sizes[r.d.id];
    if (size !== undefined) c.sizes.set(r.d.id, size);
  }
  return c;
}

function votersOf(c: ModelCluster, id: number): number[] {
  const r = c.regions.find((x) => x.d.id === id);
  assert.ok(r !== undefined, `region ${id}`);
  return r.d.replicas.filter((p) => p.role === "voter").map((p) => p.nodeId).sort((a, b) => a - b);
}

function replicasOf(c: ModelCluster, id: number): string {
  return JSON.stringify(c.regions.find((x) => x.d.id === id)?.d.replicas);
}

const FIVE = ["a", "b", "c", "a", "b"];

test("merge checker: two adjacent small regions on different nodes get the same replicas", () => {
  const voters = { 2: [1, 2, 3], 3: [3, 4, 5], 4: [1, 2, 3] };
  const sizes = { 2: 100, 3: 200, 4: 1 << 20 };
  const off = cluster(FIVE, voters, sizes, { mergeBytes: 0 });
  off.run(40);
  assert.deepEqual(votersOf(off, 2), [1, 2, 3], "merge off: placement leaves them");

  const c = cluster(FIVE, voters, sizes);
  const region4 = replicasOf(c, 4);
  c.tick();
  const op = c.scheduler.operator(2);
  assert.ok(op !== undefined);
  assert.equal(op.partner?.regionId, 3, "the smaller region moves towards its neighbour");
  assert.ok(op.reason.includes("region 3"), op.reason);
  c.run(40);
  assert.deepEqual(c.violations, []);
  assert.deepEqual(votersOf(c, 2), [3, 4, 5], "aligned: the nodes can merge the pair");
  assert.deepEqual(votersOf(c, 3), [3, 4, 5], "the larger keeps its replicas");
  assert.equal(replicasOf(c, 4), region4, "region 4 is large: left alone");
  assert.deepEqual(c.unhealthy(3, 3), [], "three voters, spread, no learner left");
  assert.equal(c.scheduler.operators().length, 0, "it settles");
  assert.ok(c.scheduler.counts.finished >= 2, "two replicas moved, one operator each");
});

test("merge checker: a pair too large together, or next to the pinned region, is left alone", () => {
  // Each at most the merge size, but together past it: the nodes would not merge them.
  const c = cluster(FIVE, { 2: [1, 2, 3], 3: [3, 4, 5], 4: [1, 2, 3] }, {
    1: 10,
    2: 600,
    3: 600,
    4: 1 << 20,
  });
  const before = [2, 3, 4].map((id) => replicasOf(c, id));
  c.run(30);
  assert.deepEqual([2, 3, 4].map((id) => replicasOf(c, id)), before);
  assert.deepEqual(c.violations, []);
  // Region 1 is tiny and region 2 small, but region 1 is pinned: region 2 is not moved to it.
  assert.notDeepEqual(votersOf(c, 2), [], "region 2 still has its voters");
  assert.equal(c.scheduler.operators().length, 0);
});

test("merge checker: a region with an operator in flight is left alone; a stale one is dropped", () => {
  const c = cluster(FIVE, { 2: [1, 2, 3], 3: [3, 4, 5] }, { 2: 100, 3: 200 });
  // Region 2 carries a learner: the replica checker's, before any merge.
  const r2 = c.regions.find((r) => r.d.id === 2);
  assert.ok(r2 !== undefined);
  r2.d = { ...r2.d, replicas: [...r2.d.replicas, { nodeId: 4, role: "learner" }] };
  c.stalled = true;
  c.run(3);
  const fix = c.scheduler.operator(2);
  assert.equal(fix?.partner, undefined, "the replica checker's operator, not a merge's");
  assert.equal(fix?.kind, "remove");
  assert.equal(c.scheduler.operator(3), undefined, "its neighbour is not moved either");

  // Once it is settled, the alignment comes; a change of the neighbour's epoch drops it.
  c.stalled = false;
  c.tick();
  c.stalled = true;
  c.tick();
  const align = c.scheduler.operator(2);
  assert.equal(align?.partner?.regionId, 3);
  c.run(3);
  assert.equal(c.scheduler.operator(2), align, "the same operator stays in flight");
  const r3 = c.regions.find((r) => r.d.id === 3);
  assert.ok(r3 !== undefined);
  r3.d = { ...r3.d, epoch: { ...r3.d.epoch, confVer: r3.d.epoch.confVer + 1 } };
  const stale = c.scheduler.counts.stale;
  c.tick();
  assert.equal(c.scheduler.counts.stale, stale + 1, "the neighbour changed since: dropped");
  assert.notEqual(c.scheduler.operator(2), align);
  c.stalled = false;
  c.run(40);
  assert.deepEqual(votersOf(c, 2), votersOf(c, 3));
  assert.deepEqual(c.unhealthy(3, 3), []);
});

test("merge checker: a replica moves within its zone, so the spread holds at every step", () => {
  // Node 4 is in zone c, 5 in b, 6 in a: moving node 1 (a) to node 4 (c) first would bunch.
  const zones = ["a", "b", "c", "c", "b", "a"];
  const c = cluster(zones, { 2: [1, 2, 3], 3: [4, 5, 6], 4: [4, 5, 6] }, {
    2: 100,
    3: 200,
    4: 1 << 20,
  });
  const zonesOf = (id: number) => new Set(votersOf(c, id).map((n) => zones[n - 1]));
  for (let i = 0; i < 60; i++) {
    c.tick();
    assert.equal(zonesOf(2).size, 3, `tick ${i}: region 2's voters ${votersOf(c, 2)}`);
  }
  assert.deepEqual(c.violations, []);
  assert.deepEqual(votersOf(c, 2), [4, 5, 6]);
  assert.deepEqual(c.unhealthy(3, 3), []);
});

test("merge checker: it yields to the replacement of a dead node", () => {
  const c = cluster(FIVE, { 2: [1, 2, 3], 3: [3, 4, 5] }, { 2: 100, 3: 200 }, {}, 5_000);
  c.dead.add(4);
  c.run(60);
  assert.deepEqual(c.violations, []);
  assert.ok(!votersOf(c, 3).includes(4), "region 3's voter on the dead node was replaced");
  assert.ok(!votersOf(c, 2).includes(4), "no replica of region 2 was moved to the dead node");
  assert.deepEqual(votersOf(c, 2), votersOf(c, 3), "then the pair is aligned");
  assert.deepEqual(c.unhealthy(3, 3), []);
});

test("merge checker: a small pair that shares its replicas is left to the nodes, not balanced", () => {
  const c = new ModelCluster(60_000, { mergeBytes: MERGE_BYTES, pinned: [1] });
  for (const [id, zone] of [[1, "a"], [2, "b"], [3, "c"], [4, "a"], [5, "b"]] as const) {
    c.addNode(id, zone);
  }
  c.addRegions(12, [1, 2, 3]);
  c.sizes.set(2, 100);
  c.sizes.set(3, 100);
  const pair = [2, 3].map((id) => replicasOf(c, id));
  c.run(150);
  assert.deepEqual(c.violations, []);
  assert.ok(c.replicasOn(4) + c.replicasOn(5) >= 8, "the balance moved other regions");
  assert.deepEqual([2, 3].map((id) => replicasOf(c, id)), pair, "the pair the nodes merge stays");
  assert.deepEqual(c.unhealthy(3, 3), []);
});

test("merge checker: the neighbour an alignment copies is neither moved nor balanced meanwhile", () => {
  // Region 3 is small too and smaller than region 4: without the hold it would move towards
  // region 4 while region 2 copies it, and region 2's move would be dropped as stale.
  const c = cluster(FIVE, { 2: [1, 2, 3], 3: [3, 4, 5], 4: [1, 2, 3] }, {
    2: 100,
    3: 300,
    4: 400,
  });
  c.stalled = true;
  c.tick();
  const align = c.scheduler.operator(2);
  assert.equal(align?.partner?.regionId, 3);
  c.run(5);
  assert.equal(c.scheduler.operator(3), undefined, "region 3 is held while region 2 copies it");
  assert.equal(c.scheduler.operator(2), align);
  c.stalled = false;
  c.run(60);
  assert.deepEqual(c.violations, []);
  assert.deepEqual(votersOf(c, 2), [3, 4, 5]);
  assert.deepEqual(c.unhealthy(3, 3), []);
});
