/**
 * The placement leader's orders, run by model region leaders through operator_step.ts: a drain
 * empties a node within the bounds on operators in flight (cluster-wide and per node), with every
 * order delivered twice (the second is dropped as stale), and the drained node is told to drop
 * the replicas it still holds (tombstones) once every voter of the new configurations applied it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterView } from "../../src/placement/cluster_view.ts";
import { PlacementScheduler } from "../../src/placement/scheduler.ts";
import { nodesTouched } from "../../src/placement/operator.ts";
import { HeldConfs } from "../../src/placement/held_confs.ts";
import { ordersFor, tombstonesFor } from "../../src/placement/operator_orders.ts";
import { nextAction, type StepOrder } from "../../src/placement/operator_step.ts";
import {
  type RegionDescriptor,
  type Replica,
  splitDescriptor,
} from "../../src/region/descriptor.ts";

interface ModelRegion {
  d: RegionDescriptor;
  leader: number;
}

function regions(count: number, voters: number[]): ModelRegion[] {
  const replicas: Replica[] = voters.map((nodeId) => ({ nodeId, role: "voter" }));
  let rest: RegionDescriptor = {
    id: 2,
    start: new Uint8Array(0),
    end: new Uint8Array(0),
    epoch: { version: 1, confVer: 1 },
    replicas,
  };
  const out: ModelRegion[] = [];
  for (let i = 1; i < count; i++) {
    const [left, right] = splitDescriptor(rest, new Uint8Array([i]), i + 2);
    out.push({ d: left, leader: voters[i % voters.length] });
    rest = right;
  }
  out.push({ d: rest, leader: voters[0] });
  return out;
}

/** Runs one order on a model region; returns whether a membership change applied. */
function run(r: ModelRegion, o: StepOrder): boolean {
  const a = nextAction(o, {
    descriptor: r.d,
    self: r.leader,
    isLeader: true,
    busy: false,
    caughtUp: () => true,
  });
  if (a.kind === "transfer") r.leader = a.to;
  if (a.kind !== "change") return false;
  const others = r.d.replicas.filter((p) => p.nodeId !== a.nodeId);
  const replicas = a.type === "remove" ? others : [...others, { nodeId: a.nodeId, role: a.type }];
  r.d = { ...r.d, replicas, epoch: { ...r.d.epoch, confVer: r.d.epoch.confVer + 1 } };
  return true;
}

test("operator orders: a drain empties the node within the bounds, each order applied once", () => {
  const view = new ClusterView(60_000);
  const scheduler = new PlacementScheduler(view, {
    replicas: 3,
    maxOperators: 2,
    maxMovesPerNode: 1,
    operatorTimeoutMs: 60_000,
    regionTolerance: 100, // no balancing: only the drain moves replicas
    regionsCheckedPerTick: 100,
  });
  const model = regions(6, [1, 2, 3]);
  const held = model.map((r) => ({ regionId: r.d.id, confVer: r.d.epoch.confVer }));
  let changes = 0;
  let withheld = 0;
  let maxInFlight = 0;
  let maxPerNode = 0;
  for (let t = 1; t <= 200; t++) {
    const nowMs = t * 1_000;
    for (const id of [1, 2, 3, 4]) {
      const draining = id === 1 && t > 2;
      const node = { id, address: "", zone: "", capacityBytes: 0, usedBytes: 0, draining };
      view.nodeHeartbeat({ ...node, lastHeartbeatMs: nowMs });
    }
    for (const r of model) {
      view.regionReport({
        descriptor: r.d,
        leader: r.leader,
        sizeBytes: 1,
        writesPerSec: 0,
        caughtUp: r.d.replicas.map((p) => p.nodeId),
        reportedMs: nowMs,
        term: 1,
      });
    }
    scheduler.tick(nowMs);
    const ops = scheduler.operators();
    maxInFlight = Math.max(maxInFlight, ops.length);
    const perNode = new Map<number, number>();
    for (const op of ops) {
      for (const n of nodesTouched(op)) perNode.set(n, (perNode.get(n) ?? 0) + 1);
    }
    maxPerNode = Math.max(maxPerNode, ...perNode.values(), 0);
    for (const r of model) {
      const [o] = ordersFor(scheduler, r.leader, [r.d.id]);
      if (o === undefined) continue;
      assert.equal(o.term, undefined, "a report without a term: an order without one");
      const [named] = ordersFor(scheduler, r.leader, [99, r.d.id], [3, 8]);
      assert.equal(named.term, 8, "each order names its own report's term");
      if (o.step.kind === "promote" && o.step.promote !== 0) {
        // While the learner's node lists the region as catching up (it may not vote yet), its
        // promotion waits; another node's list changes nothing.
        const promoted = o.step.promote;
        const listed = (region: number, node: number) => region === r.d.id && node === promoted;
        assert.deepEqual(ordersFor(scheduler, r.leader, [r.d.id], [], listed), []);
        const other = (region: number, node: number) => region === r.d.id && node !== promoted;
        assert.equal(ordersFor(scheduler, r.leader, [r.d.id], [], other).length, 1);
        withheld++;
      }
      if (run(r, o)) changes++;
      assert.equal(run(r, o), false, "the same order delivered again changes nothing");
    }
  }
  assert.equal(maxInFlight, 2);
  assert.ok(withheld > 0, "promotions were checked against the catching-up lists");
  assert.equal(maxPerNode, 1);
  for (const r of model) {
    const voters = r.d.replicas.filter((p) => p.role === "voter").map((p) => p.nodeId).sort();
    assert.deepEqual(voters, [2, 3, 4], `region ${r.d.id}`);
    assert.equal(r.d.replicas.length, 3, `region ${r.d.id}: no learner left`);
  }
  // Per region: node 4 joins as a learner and is promoted, node 1 is demoted and removed.
  assert.equal(changes, 4 * model.length);
  // Node 1 still lists the regions at their old conf versions, but no voter of the new
  // configurations has said it applied them: a voter still on the old one may need node 1's vote.
  const applied = new HeldConfs();
  assert.deepEqual(tombstonesFor(scheduler, 1, held, applied), []);
  const current = model.map((r) => ({ regionId: r.d.id, confVer: r.d.epoch.confVer }));
  applied.record(2, current);
  applied.record(3, current);
  assert.deepEqual(tombstonesFor(scheduler, 1, held, applied), [], "node 4 has not applied them");
  applied.record(4, current.slice(1));
  // Every voter of each new configuration applied it: placement names all but the first.
  const dropped = tombstonesFor(scheduler, 1, held, applied).map((x) => x.regionId);
  assert.deepEqual(dropped, model.slice(1).map((r) => r.d.id));
  applied.record(4, current);
  const all = tombstonesFor(scheduler, 1, held, applied);
  assert.deepEqual(all.map((x) => x.regionId), model.map((r) => r.d.id));
  assert.deepEqual(
    all.map((x) => x.confVer),
    current.map((x) => x.confVer),
    "the version to drop at",
  );
  // Node 1 applied its own removal: named as well (it drops only now, not when it applied it).
  assert.equal(tombstonesFor(scheduler, 1, current, applied).length, model.length);
  // A node in the configuration is told nothing; nor one re-added at a later version.
  assert.deepEqual(tombstonesFor(scheduler, 2, held, applied), []);
  const later = current.map((x) => ({ ...x, confVer: x.confVer + 1 }));
  assert.deepEqual(tombstonesFor(scheduler, 1, later, applied), []);
  // Regions gone from the view are forgotten by a sweep.
  const before = applied.size;
  applied.prune((id) => id !== model[0].d.id);
  assert.equal(applied.size, before - 3, "nodes 2, 3 and 4 of one region");
  assert.equal(applied.applied(model[0].d.id, 2), undefined);
});
