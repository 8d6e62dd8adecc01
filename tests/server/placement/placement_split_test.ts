/**
 * Heartbeats from a node holding split regions (`--region-split-bytes`): a split's child takes
 * its id from the placement group's counter (`allocate-ids`), so placement accepts the split
 * regions' reports and its view covers them. A member whose copy of placement's state has no
 * region for a key (it lags a split) asks the leader.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startCluster, type TestCluster } from "../cluster_helpers.ts";
import { noise } from "../region_split_helpers.ts";

const SPLITTING = {
  regionSplitBytes: 2048,
  splitCheckMs: 40,
  placement: { heartbeatMs: 30 },
} as const;

/** A cluster of `nodes` that splits small regions, filled with 60 puts over 40 keys. */
async function filledCluster(nodes: number): Promise<TestCluster> {
  const c = await startCluster(nodes, 20, undefined, SPLITTING);
  await c.leader();
  const client = c.client();
  // Incompressible values (region_split_helpers.ts `noise`): a region's size counts its
  // tables as stored, and 120 repeated characters compress about tenfold, so once a flush
  // came first (a whole-tree Bun run, twice) the region stayed under the split size for good.
  for (let i = 0; i < 60; i++) await client.put(`k${i % 40}`, `v${i}-${noise(120)}`);
  return c;
}

test("placement: split regions take their ids from placement, which accepts their reports", {
  timeout: 60_000,
}, async () => {
  const c = await filledCluster(1);
  try {
    const node = c.servers.get(1)?.node;
    if (node === undefined) throw new Error("node 1 is not running");
    const p = node.raft.placement;
    const hosted = () => node.local.host.all().map((r) => r.id).sort((a, b) => a - b);
    const seen = () => p.state.view.regions().map((r) => r.descriptor.id).sort((a, b) => a - b);
    // Bounded waits, generous: in a whole-tree Bun run (one process, other suites' leftovers) the
    // split once took longer than 6 s here, against 0.3 s alone.
    for (let i = 0; i < 1000 && node.local.host.count < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (let i = 0; i < 500 && seen().join() !== hosted().join(); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const why = () =>
      `placement leader ${p.leaderId}, heartbeats ${JSON.stringify(p.heartbeats.counts)} ` +
      `(${p.heartbeats.lastError}), region 1 ${node.local.host.region(1)?.kv.appliedIndex}, ` +
      `split check: ${node.local.splitCheck.proposedCount} proposed, last ` +
      `"${node.local.splitCheck.lastPass}", flushes ${node.db.stats().flushes}`;
    assert.ok(node.local.host.count >= 2, `the region split: ${why()}`);
    assert.deepEqual(seen(), hosted(), "placement sees every region");
    // Ids from the group's counter: small, after region 1 (the node-chosen ones were ≥ 10⁹).
    assert.ok(hosted().every((id) => id < 1_000), `ids ${hosted()}`);
    assert.equal(p.tsoCounts.reportsRefused, 0, p.tsoCounts.lastRefusal);
    // Heartbeats succeed (those before the group elected its leader may have failed).
    const failed = p.heartbeats.counts.failed;
    const answered = p.heartbeats.counts.answered;
    for (let i = 0; i < 100 && p.heartbeats.counts.answered < answered + 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(p.heartbeats.counts.failed, failed, p.heartbeats.lastError);
    assert.ok(p.heartbeats.counts.answered >= answered + 2);
  } finally {
    await c.close();
  }
});

test("placement: a member whose copy has no region for a key asks the leader", {
  timeout: 60_000,
}, async () => {
  const c = await filledCluster(3);
  try {
    const members = [...c.servers.values()].map((s) => s.node.raft.placement);
    const key = new TextEncoder().encode("k1");
    const follower = () =>
      members.find((p) => p.member && p.leader === undefined && p.leaderId !== 0);
    const covered = () => members.every((p) => p.state.view.map.lookup(key) !== undefined);
    for (let i = 0; i < 500 && (follower() === undefined || !covered()); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const p = follower();
    if (p === undefined) throw new Error("no placement follower with a leader");
    const region = p.state.view.map.lookup(key);
    assert.ok(region !== undefined, "the follower's copy covers the key");
    // The copy as it lags: a split's parent reported its new edge, the child not yet.
    p.state.view.map.remove(region.id);
    assert.equal(p.state.view.map.lookup(key), undefined);
    const route = await p.route(key);
    assert.equal(route.region?.id, region.id, "the leader's copy answered");
  } finally {
    await c.close();
  }
});
