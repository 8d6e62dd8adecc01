import { test } from "node:test";
import assert from "node:assert/strict";
import { ModelCluster } from "./model_cluster.ts";
import { currentStep } from "../../src/placement/operator.ts";
import { mergeDescriptors } from "../../src/region/descriptor.ts";

const spread = (values: number[]) => Math.max(...values) - Math.min(...values);

test("placement: two new nodes receive regions, spread stays over zones", () => {
  const c = new ModelCluster(60_000);
  c.addNode(1, "a");
  c.addNode(2, "b");
  c.addNode(3, "c");
  c.addRegions(30, [1, 2, 3]);
  c.run(3);
  const kinds = new Set(c.scheduler.operators().map((op) => op.kind));
  assert.deepEqual([...kinds], ["leader"], "3 nodes hold every region: only leaders move");
  c.run(60);
  assert.deepEqual([1, 2, 3].map((n) => c.leadersOn(n)), [10, 10, 10]);
  assert.equal(c.scheduler.counts.finished, 20);
  c.addNode(4, "a");
  c.addNode(5, "b");
  c.run(200);
  assert.deepEqual(c.violations, []);
  assert.deepEqual(c.unhealthy(3, 3), []);
  // Zones decide first: zone c has one node, so it holds a replica of every region; the
  // two nodes of zones a and b share their zone's 30 replicas.
  const replicas = [1, 2, 3, 4, 5].map((n) => c.replicasOn(n));
  assert.equal(c.replicasOn(3), 30, `replicas per node ${replicas}`);
  assert.ok(spread([c.replicasOn(1), c.replicasOn(4)]) <= 2, `replicas per node ${replicas}`);
  assert.ok(spread([c.replicasOn(2), c.replicasOn(5)]) <= 2, `replicas per node ${replicas}`);
  // Within 2: a leader moves only to a voter of its region, so a lead of one more than a node
  // that holds none of the leader's regions can stay.
  const leaders = [1, 2, 3, 4, 5].map((n) => c.leadersOn(n));
  assert.ok(spread(leaders) <= 2, `leaders per node ${leaders}`);
  assert.equal(c.scheduler.operators().length, 0, "it settles");
});

test("placement: without zones, replicas and leaders even out over every node", () => {
  const c = new ModelCluster(60_000);
  for (let id = 1; id <= 3; id++) c.addNode(id, "");
  c.addRegions(40, [1, 2, 3]);
  c.run(20);
  for (let id = 4; id <= 6; id++) c.addNode(id, "");
  c.run(300);
  assert.deepEqual(c.violations, []);
  assert.deepEqual(c.unhealthy(3, 1), []);
  const replicas = [1, 2, 3, 4, 5, 6].map((n) => c.replicasOn(n));
  assert.ok(spread(replicas) <= 2, `replicas per node ${replicas}`);
  const leaders = [1, 2, 3, 4, 5, 6].map((n) => c.leadersOn(n));
  assert.ok(spread(leaders) <= 1, `leaders per node ${leaders}`);
});

test("placement: a node down past the replace timeout has every replica replaced", () => {
  const c = new ModelCluster(10_000);
  for (const [id, zone] of [[1, "a"], [2, "b"], [3, "c"], [4, "a"], [5, "b"]] as const) {
    c.addNode(id, zone);
  }
  c.addRegions(20, [1, 2, 3]);
  c.run(100);
  assert.ok(c.replicasOn(2) > 0);
  c.dead.add(2);
  c.run(5);
  assert.ok(c.replicasOn(2) > 0, "nothing moves before the timeout");
  c.run(200);
  assert.deepEqual(c.violations, []);
  assert.equal(c.replicasOn(2), 0);
  assert.deepEqual(c.unhealthy(3, 3), []);
});

test("placement: a move whose new node dies is dropped and its learner removed, not left to time out", () => {
  const c = new ModelCluster(4_000);
  for (const [id, zone] of [[1, "a"], [2, "b"], [3, "c"]] as const) c.addNode(id, zone);
  c.addRegions(12, [1, 2, 3]);
  c.run(10);
  c.addNode(4, "a");
  const learnerOn4 = () =>
    c.regions.find((r) => r.d.replicas.some((p) => p.nodeId === 4 && p.role === "learner"));
  for (let i = 0; i < 20 && learnerOn4() === undefined; i++) c.tick();
  const region = learnerOn4();
  assert.ok(region !== undefined, "a move to node 4 added its learner");
  c.dead.add(4);
  // Well inside the operator timeout (30 s): the replace timeout (4 s) and a few ticks.
  const ended: string[] = [];
  for (let i = 0; i < 10; i++) {
    c.tick();
    for (const e of c.scheduler.ended) {
      if (e.op.regionId === region.d.id) ended.push(`${e.op.kind}: ${e.why}`);
    }
  }
  // The ends say why (the placement leader logs them: placement.operator_end).
  assert.ok(ended[0]?.endsWith("unreachable"), `the move's end: ${ended}`);
  assert.deepEqual(c.violations, []);
  const left = region.d.replicas.filter((p) => p.nodeId === 4);
  assert.deepEqual(left, [], `region ${region.d.id} keeps no replica on the dead node`);
  assert.equal(c.scheduler.counts.timedOut, 0);
  assert.ok(c.scheduler.counts.stale > 0, "the move was dropped as unreachable");
  assert.deepEqual(c.unhealthy(3, 3), []);
});

test("placement: a drained node gives up every replica and leadership, then can be removed", () => {
  const c = new ModelCluster(60_000);
  for (const [id, zone] of [[1, "a"], [2, "b"], [3, "c"], [4, "a"]] as const) c.addNode(id, zone);
  c.addRegions(12, [1, 2, 3]);
  c.run(50);
  assert.ok(c.view.drain(1));
  assert.ok(!c.view.removeNode(1), "not while it holds replicas");
  c.run(200);
  assert.deepEqual(c.violations, []);
  assert.equal(c.replicasOn(1), 0);
  assert.equal(c.leadersOn(1), 0);
  assert.deepEqual(c.unhealthy(3, 3), []);
  assert.ok(c.view.removeNode(1));
});

test("placement: replicas bunched in one zone spread to the others", () => {
  const c = new ModelCluster(60_000);
  const zones = ["a", "a", "b", "b", "c", "c"];
  zones.forEach((z, i) => c.addNode(i + 1, z));
  c.addRegions(10, [1, 2, 3]); // zones a, a, b
  c.run(150);
  assert.deepEqual(c.violations, []);
  assert.deepEqual(c.unhealthy(3, 3), []);
});

test("placement: fewer usable nodes than replicas caps the voters; more nodes restore them", () => {
  const c = new ModelCluster(5_000);
  c.addNode(1, "a");
  c.addRegions(4, [1]);
  c.run(20);
  assert.deepEqual(c.unhealthy(1, 1), [], "one node: one voter each");
  c.addNode(2, "b");
  c.addNode(3, "c");
  c.run(100);
  assert.deepEqual(c.violations, []);
  assert.deepEqual(c.unhealthy(3, 3), []);
});

test("placement: an operator goes on after its region splits, and is dropped after a merge", () => {
  const c = new ModelCluster(60_000, { maxOperators: 2 });
  for (const [id, zone] of [[1, "a"], [2, "b"], [3, "c"]] as const) c.addNode(id, zone);
  c.addRegions(2, [1]); // region 1 is [, 0x01), region 2 [0x01, )
  c.tick();
  const op = c.scheduler.operator(1);
  assert.equal(op?.kind, "add");
  c.split(1, new Uint8Array([0, 5]), 3);
  const before = c.scheduler.counts.stale;
  c.tick();
  assert.equal(c.scheduler.counts.stale, before, "a split keeps the operator");
  const region = c.view.region(1);
  assert.ok(region !== undefined && region.descriptor.epoch.version > op.version);
  assert.notEqual(currentStep(op, region), "stale");
  // Region 2 merged into it: the range grew past the one the operator was made for.
  const right = c.view.region(2);
  assert.ok(right !== undefined);
  const whole = mergeDescriptors(region.descriptor, {
    ...right.descriptor,
    start: region.descriptor.end,
  });
  assert.equal(currentStep(op, { ...region, descriptor: whole }), "stale");
  c.run(60);
  assert.deepEqual(c.violations, []);
  assert.deepEqual(c.unhealthy(3, 3), []);
});

test("placement: the replica checker looks at a bounded number of regions per tick, in turn", () => {
  const c = new ModelCluster(60_000, { regionsCheckedPerTick: 3, maxOperators: 100 });
  for (const [id, zone] of [[1, "a"], [2, "b"], [3, "c"]] as const) c.addNode(id, zone);
  c.addRegions(10, [1]);
  c.tick();
  const first = c.scheduler.operators().filter((op) => op.kind === "add");
  assert.equal(first.length, 3, "three regions checked, three need a replica");
  c.tick();
  const second = c.scheduler.operators().filter((op) => op.kind === "add");
  assert.equal(new Set(second.map((op) => op.regionId)).size, second.length);
  assert.ok(second.length >= 4, "the next tick moves on to other regions");
  c.run(80);
  assert.deepEqual(c.unhealthy(3, 3), []);
});

for (const phase of ["added", "promoted"] as const) {
  test(`placement: a region that splits with its move's learner ${phase} hands the move on`, () => {
    const c = new ModelCluster(60_000, { maxOperators: 4 });
    for (const [id, zone] of [[1, "a"], [2, "b"], [3, "c"]] as const) c.addNode(id, zone);
    c.addRegions(1, [1, 2, 3]);
    c.addNode(4, "d");
    c.tick();
    assert.ok(c.view.drain(3)); // node 3's replica moves to node 4
    // Run until the move's step of this phase has run in the region (the model's own state).
    const roleOf = (node: number) => c.regions[0].d.replicas.find((p) => p.nodeId === node)?.role;
    const reached = () => phase === "added" ? roleOf(4) === "learner" : roleOf(3) === "learner";
    for (let i = 0; i < 20 && !reached(); i++) c.tick();
    assert.ok(reached(), `the move's ${phase} step ran`);
    assert.equal(c.scheduler.operator(1)?.kind, "move");
    c.split(1, new Uint8Array([7]), 9);
    c.tick();
    const child = c.scheduler.operator(9);
    assert.ok(child !== undefined, "the child has an operator");
    assert.match(child.reason, /region 1 split/);
    // The child goes on with the move (node 4 in, node 3 out), not with removing its learner.
    assert.ok(
      child.steps.some((s) => s.kind === "promote" && s.promote === 4 && s.demote === 3),
      `the child's steps ${JSON.stringify(child.steps)}`,
    );
    c.run(40);
    assert.deepEqual(c.violations, []);
    for (const id of [1, 9]) {
      const d = c.view.region(id)?.descriptor;
      assert.ok(d?.replicas.some((p) => p.nodeId === 4 && p.role === "voter"), `region ${id}`);
    }
    assert.deepEqual(c.unhealthy(3, 3), []);
    assert.equal(c.replicasOn(3), 0, "both halves left the drained node");
  });
}

test("placement: a learner left by a lost operator finishes its move, unless its place is the worst", () => {
  for (const [zone4, kind] of [["d", "move"], ["a", "remove"]] as const) {
    const c = new ModelCluster(60_000);
    for (const [id, zone] of [[1, "a"], [2, "b"], [3, "c"], [4, zone4]] as const) {
      c.addNode(id, zone);
    }
    c.addRegions(6, [1, 2, 3]); // nodes 1-3 hold 6 replicas, node 4 only the learner below
    // As a placement leader change leaves it: node 4 a learner, no operator for the region.
    const r = c.regions[0];
    r.d = { ...r.d, replicas: [...r.d.replicas, { nodeId: 4, role: "learner" }] };
    c.tick();
    const op = c.scheduler.operator(1);
    assert.equal(op?.kind, kind, `zone ${zone4}: ${op?.reason}`); // zone a: two voters in it
    if (kind === "move") {
      assert.ok(op.steps.some((s) => s.kind === "promote" && s.promote === 4 && s.demote !== 0));
    } else assert.deepEqual(op?.steps, [{ kind: "remove", node: 4 }]);
    c.tick();
    const role4 = c.regions[0].d.replicas.find((p) => p.nodeId === 4)?.role;
    assert.equal(role4, kind === "move" ? "voter" : undefined, `zone ${zone4}`);
    c.run(20);
    assert.deepEqual(c.violations, []);
    assert.equal(c.regions[0].d.replicas.filter((p) => p.role === "voter").length, 3);
  }
});
