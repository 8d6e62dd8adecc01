/**
 * The placement service of a one-node cluster runs on the node itself (region 0 with one voter),
 * and its state survives a restart: from the log, and from the image file once region 0's log
 * was compacted (placement_store.ts).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startCluster, type TestCluster } from "../cluster_helpers.ts";
import type { PlacementNode } from "../../../src/server/placement/placement_node.ts";
import { ServiceError } from "../../../src/server/kv_service.ts";
import { ErrorCode } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import { PLACEMENT_REGION } from "../../../src/server/placement/placement_options.ts";

function placementOf(c: TestCluster): PlacementNode {
  const s = c.servers.get(1);
  if (s === undefined) throw new Error("node 1 is not running");
  return s.node.raft.placement;
}

/** Polls `check` every 20 ms, at most 300 times (6 s). */
async function waitFor<T>(what: string, check: () => T | undefined): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function ready(c: TestCluster): PlacementNode | undefined {
  const p = placementOf(c);
  return p.leader !== undefined && p.state.view.node(1)?.zone === "rack-a" ? p : undefined;
}

describe("placement service on a one-node cluster", () => {
  let c: TestCluster;
  before(async () => {
    c = await startCluster(1, 20, undefined, { placement: { zone: "rack-a", heartbeatMs: 20 } });
  });
  after(async () => await c.close());

  it("leads region 0 itself and records its own heartbeat", async () => {
    const p = await waitFor("placement on node 1", () => ready(c));
    assert.equal(p.member, true);
    assert.equal(p.leaderId, 1);
    const r = await p.timestamps(10);
    assert.equal(r.count, 10);
    // Region 0's only voter: its leadership is confirmed without a ReadIndex round.
    const rounds = p.check.counts.rounds;
    for (let i = 0; i < 5; i++) await p.timestamps(1);
    assert.equal(p.check.counts.rounds, rounds, "no leadership round for a lone leader");
    assert.ok(p.check.counts.confirms >= 6);
  });

  it("refuses a drain of an unknown node and records a known one", async () => {
    const p = placementOf(c);
    await assert.rejects(
      p.handle({ kind: "drain", nodeId: 7 }),
      (e: unknown) => e instanceof ServiceError && e.code === ErrorCode.INVALID_ARGUMENT,
    );
    await p.handle({ kind: "drain", nodeId: 1 });
    assert.equal(p.state.view.node(1)?.draining, true);
  });

  it("keeps the state and the timestamp bound across restarts, before and after compaction", async () => {
    const first = await placementOf(c).timestamps(1);
    await c.stop(1);
    await c.start(1);
    let p = await waitFor("placement after restart", () => ready(c));
    assert.equal(p.state.view.node(1)?.draining, true);
    const second = await p.timestamps(1);
    assert.ok(second.first > first.first);
    // Compact region 0's log: its image goes to the file, the log forgets the entries.
    const index = await c.servers.get(1)!.node.raft.driver.compactNow(PLACEMENT_REGION);
    assert.ok(index > 1);
    assert.ok(p.store.saves >= 1);
    await c.stop(1);
    await c.start(1);
    p = await waitFor("placement after a compacted restart", () => ready(c));
    assert.equal(p.state.view.node(1)?.draining, true);
    assert.ok(p.state.appliedIndex >= index);
    const third = await p.timestamps(1);
    assert.ok(third.first > second.first);
  });
});
