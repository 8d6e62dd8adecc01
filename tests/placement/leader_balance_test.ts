/**
 * The leader balance (src/placement/leader_balancer.ts) on the model cluster: it evens out the
 * regions each node leads within the tolerance, a bounded number of transfers per tick and per
 * node, counting the transfers in flight so it never overshoots, and it settles: once balanced,
 * more ticks start nothing (no flapping).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ModelCluster } from "./model_cluster.ts";
import type { Operator } from "../../src/placement/operator.ts";
import { ClusterView } from "../../src/placement/cluster_view.ts";
import { balanceLeaders } from "../../src/placement/leader_balancer.ts";
import { usableNodes } from "../../src/placement/target_choice.ts";
import type { Replica } from "../../src/region/descriptor.ts";

function transfers(ops: Operator[]): { from: number; to: number }[] {
  return ops.filter((op) => op.kind === "leader").map((op) => {
    const m = /balance leaders (\d+) → (\d+)/.exec(op.reason);
    return { from: Number(m?.[1]), to: Number(m?.[2]) };
  });
}

test("leader balance: every node ends up leading, within the tolerance, then nothing moves", () => {
  const c = new ModelCluster(60_000, { maxOperators: 64 });
  for (let id = 1; id <= 3; id++) c.addNode(id, "");
  c.addRegions(30, [1, 2, 3]); // all led by node 1
  c.stalled = true;
  c.tick();
  // Per node: at most 4 transfers in flight touch node 1, however many the tick allows.
  const first = transfers(c.scheduler.operators());
  assert.equal(first.length, 4);
  assert.ok(first.every((t) => t.from === 1 && t.to !== 1));
  c.tick(); // nothing ran: no new transfer (the ones in flight count as done)
  assert.equal(transfers(c.scheduler.operators()).length, 4);
  c.stalled = false;
  c.run(40);
  assert.deepEqual([1, 2, 3].map((n) => c.leadersOn(n)), [10, 10, 10]);
  assert.equal(c.scheduler.counts.finished, 20, "each transfer needed, none more");
  c.run(50);
  assert.equal(c.scheduler.counts.finished, 20, "settled: no flapping");
  assert.equal(c.scheduler.operators().length, 0);
});

test("leader balance: at most the per-tick bound of transfers start in one tick", () => {
  const c = new ModelCluster(60_000, {
    maxOperators: 64,
    maxLeaderTransfersPerTick: 3,
    maxLeaderTransfersPerNode: 100,
  });
  for (let id = 1; id <= 4; id++) c.addNode(id, "");
  c.addRegions(40, [1, 2, 3, 4]);
  c.stalled = true;
  c.tick();
  assert.equal(transfers(c.scheduler.operators()).length, 3);
  c.tick();
  assert.equal(transfers(c.scheduler.operators()).length, 6);
  c.stalled = false;
  c.run(40);
  assert.deepEqual([1, 2, 3, 4].map((n) => c.leadersOn(n)), [10, 10, 10, 10]);
});

test("leader balance: a gap within the tolerance stays; past it one transfer closes it", () => {
  const tolerance = (leaderTolerance: number) => {
    const c = new ModelCluster(60_000, { leaderTolerance });
    for (let id = 1; id <= 3; id++) c.addNode(id, "");
    c.addRegions(9, [1, 2, 3]);
    // Leaders 5, 2, 2 by hand: node 1 leads three more than the others.
    c.regions.forEach((r, i) => r.leader = i < 5 ? 1 : i < 7 ? 2 : 3);
    c.run(20);
    return [1, 2, 3].map((n) => c.leadersOn(n));
  };
  assert.deepEqual(tolerance(3), [5, 2, 2], "a gap of 3 is within a tolerance of 3");
  assert.deepEqual(tolerance(2), [4, 3, 2], "one transfer brings the gap within 2");
  assert.deepEqual(tolerance(1), [3, 3, 3]);
  assert.deepEqual(tolerance(0), [3, 3, 3], "a tolerance below 1 counts as 1");
});

/** A view of nodes 1-5 (node 5 down) and `count` regions on voters 1-3 (+ learner 4), led by 1. */
function lopsided(count: number, caughtUp: number[]): ClusterView {
  const view = new ClusterView(10_000);
  for (let id = 1; id <= 5; id++) {
    const lastHeartbeatMs = id === 5 ? 0 : 100_000;
    view.nodeHeartbeat({
      id,
      address: "",
      zone: "",
      capacityBytes: 0,
      usedBytes: 0,
      lastHeartbeatMs,
      draining: false,
    });
  }
  const replicas: Replica[] = [1, 2, 3, 5].map((nodeId) => ({ nodeId, role: "voter" }));
  replicas.push({ nodeId: 4, role: "learner" });
  for (let i = 0; i < count; i++) {
    const descriptor = {
      id: i + 2,
      start: new Uint8Array(i === 0 ? [] : [i]),
      end: new Uint8Array(i === count - 1 ? [] : [i + 1]),
      epoch: { version: 1, confVer: 1 },
      replicas,
    };
    view.regionReport({
      descriptor,
      leader: 1,
      sizeBytes: 0,
      writesPerSec: 0,
      caughtUp,
      reportedMs: 100_000,
      term: 1,
    });
  }
  return view;
}

function plan(view: ClusterView, draining: number[] = []): number[] {
  for (const id of draining) {
    const n = view.node(id);
    if (n !== undefined) view.nodeHeartbeat({ ...n, draining: true });
  }
  const ctx = {
    view,
    loads: view.loads(),
    nowMs: 100_000,
    busy: new Map<number, number>(),
    maxMovesPerNode: 4,
    ...usableNodes(view, 100_000),
  };
  const limits = { tolerance: 1, perTick: 100, perNode: 100 };
  return balanceLeaders(ctx, view.regions(), limits, new Map()).map((m) => {
    const s = m.proposal.steps[0];
    return s.kind === "transfer-leader" ? s.to : -1;
  });
}

test("leader balance: only to a usable, caught-up voter", () => {
  // Node 5 is down, node 4 a learner: the 12 leaderships spread over 1, 2 and 3.
  const all = plan(lopsided(12, [1, 2, 3, 4, 5]));
  assert.deepEqual([2, 3].map((n) => all.filter((to) => to === n).length), [4, 4]);
  assert.equal(all.length, 8);
  // Node 3 lags behind the commit index: only node 2 may take leaderships (6 and 6).
  const lagging = plan(lopsided(12, [1, 2]));
  assert.deepEqual(lagging, [2, 2, 2, 2, 2, 2]);
  // Node 2 drains: it takes none.
  assert.deepEqual(plan(lopsided(12, [1, 2, 3]), [2]), [3, 3, 3, 3, 3, 3]);
});

test("leader balance: a transfer to a node that died is dropped, not sent until it times out", () => {
  const c = new ModelCluster(60_000, { maxOperators: 64 });
  for (let id = 1; id <= 3; id++) c.addNode(id, "");
  c.addRegions(30, [1, 2, 3]);
  c.stalled = true;
  c.tick();
  const toThree = transfers(c.scheduler.operators()).filter((t) => t.to === 3).length;
  assert.ok(toThree > 0, "some leaderships go to node 3");
  // Node 3 dies; well within the replace timeout it is still a usable node, but the next
  // reports leave it out of the caught-up replicas.
  c.dead.add(3);
  c.tick();
  assert.deepEqual(transfers(c.scheduler.operators()).filter((t) => t.to === 3), []);
  assert.equal(c.scheduler.counts.stale, toThree);
  c.stalled = false;
  c.run(30);
  assert.equal(c.leadersOn(3), 0);
  assert.deepEqual([c.leadersOn(1), c.leadersOn(2)], [15, 15]);
});
