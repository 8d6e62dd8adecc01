/**
 * Heartbeats from a node holding split regions (`--region-split-bytes`): the split regions' ids are
 * chosen by the splitting node, not allocated by placement, so the placement state refuses their
 * reports; the leader counts them and the node's heartbeat still succeeds.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startCluster } from "../cluster_helpers.ts";

test("placement: split regions' reports are refused and counted; heartbeats succeed", {
  timeout: 30_000,
}, async () => {
  const c = await startCluster(1, 20, undefined, {
    regionSplitBytes: 2048,
    splitCheckMs: 40,
    placement: { heartbeatMs: 30 },
  });
  try {
    await c.leader();
    const client = c.client();
    for (let i = 0; i < 60; i++) await client.put(`k${i % 40}`, `v${i}-${"y".repeat(120)}`);
    const node = c.servers.get(1)?.node;
    if (node === undefined) throw new Error("node 1 is not running");
    const p = node.raft.placement;
    for (let i = 0; i < 300 && p.tsoCounts.reportsRefused === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(node.local.host.count >= 2, "the region split");
    assert.ok(p.tsoCounts.reportsRefused > 0);
    assert.match(p.tsoCounts.lastRefusal, /never allocated/);
    const failed = p.heartbeats.counts.failed;
    const answered = p.heartbeats.counts.answered;
    for (let i = 0; i < 100 && p.heartbeats.counts.answered < answered + 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(p.heartbeats.counts.failed, failed);
    assert.ok(p.heartbeats.counts.answered >= answered + 2);
    // Region 1 is still reported (it was allocated at bootstrap).
    assert.ok(p.state.view.region(1) !== undefined);
  } finally {
    await c.close();
  }
});
