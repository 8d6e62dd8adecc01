/**
 * Placement places replicas only on the cluster's members (ClusterView `isMember`): on a server
 * node region 1's configuration is the membership, so a node that heartbeats but is not listed
 * there — started with `--join` and not added yet, or removed with `member remove` and still
 * running — takes no replica, and a region with a replica on a node removed gets it replaced.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterView } from "../../src/placement/cluster_view.ts";
import { PlacementScheduler } from "../../src/placement/scheduler.ts";
import type { RegionDescriptor, Replica } from "../../src/region/descriptor.ts";
import { splitDescriptor } from "../../src/region/descriptor.ts";

const NOW = 1_000_000;

function view(membersInRegion1: boolean): ClusterView {
  const v = new ClusterView(60_000, membersInRegion1);
  for (let id = 1; id <= 4; id++) {
    v.nodeHeartbeat({
      id,
      address: "",
      zone: "",
      capacityBytes: 1e12,
      usedBytes: 0,
      lastHeartbeatMs: NOW,
      draining: false,
    });
  }
  return v;
}

const voters = (ids: number[]): Replica[] => ids.map((nodeId) => ({ nodeId, role: "voter" }));

function report(v: ClusterView, d: RegionDescriptor): void {
  const caughtUp = d.replicas.map((p) => p.nodeId);
  const leader = caughtUp[0];
  v.regionReport({
    descriptor: d,
    leader,
    sizeBytes: 1,
    writesPerSec: 0,
    caughtUp,
    reportedMs: NOW,
    term: 1,
  });
}

/** Region 1 on `members` (the membership), region 2 on nodes 1–3 after a split at "m". */
function cluster(v: ClusterView, members: number[]): void {
  const all: RegionDescriptor = {
    id: 1,
    start: new Uint8Array(0),
    end: new Uint8Array(0),
    epoch: { version: 1, confVer: 1 },
    replicas: voters(members),
  };
  const [first, second] = splitDescriptor(all, new TextEncoder().encode("m"), 2);
  report(v, first);
  report(v, { ...second, replicas: voters([1, 2, 3]) });
}

function scheduler(v: ClusterView): PlacementScheduler {
  return new PlacementScheduler(v, {
    replicas: 3,
    maxOperators: 8,
    maxMovesPerNode: 4,
    operatorTimeoutMs: 60_000,
    regionTolerance: 0,
    regionsCheckedPerTick: 100,
  });
}

const movesTo = (s: PlacementScheduler, node: number) =>
  s.operators().filter((op) =>
    op.regionId !== 1 && op.steps.some((st) => st.kind === "add-learner" && st.node === node)
  );

test("placement members: a node region 1 does not list takes no replica; one it lists does", () => {
  const v = view(true);
  assert.equal(v.isMember(4), true, "before region 1's report every node counts");
  cluster(v, [1, 2, 3]);
  assert.equal(v.isMember(4), false);
  assert.equal(v.isUsable(4, NOW), false, "heartbeating, up, but no member");
  const s = scheduler(v);
  s.tick(NOW);
  assert.deepEqual(movesTo(s, 4), [], "node 4 waits to be added: nothing moves there");
  // Added (region 1 lists it, as a learner first): it is where region 2 can spread to.
  const added = view(true);
  cluster(added, [1, 2, 3, 4]);
  assert.equal(added.isUsable(4, NOW), true);
  // A removed node still running: region 2's replica on node 3 is replaced.
  const removed = view(true);
  cluster(removed, [1, 2, 4]);
  const r = scheduler(removed);
  r.tick(NOW);
  const op = r.operators().find((o) => o.regionId === 2);
  assert.ok(op !== undefined, "region 2's replica on the removed node 3 is replaced");
  assert.ok(op.steps.some((st) => st.kind === "add-learner" && st.node === 4));
  // The scheduler's own model (membersInRegion1 off) counts every node, as before.
  const plain = view(false);
  cluster(plain, [1, 2, 3]);
  assert.equal(plain.isUsable(4, NOW), true);
});
