/**
 * The placement state under three real RaftNodes: commands proposed through the leader, a leader
 * change, log compaction (the image in the Raft snapshot) and a follower that catches up from a
 * snapshot; every replica ends with the same image.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { initialRegion, splitDescriptor } from "../../src/region/descriptor.ts";
import type { PlacementCommandBody } from "../../src/placement/placement_commands.ts";
import { PlacementCluster } from "./placement_cluster.ts";
import { BOOTSTRAP, T0 } from "./placement_fixtures.ts";

function heartbeat(nodeId: number, usedBytes: number): PlacementCommandBody {
  return {
    kind: "heartbeat",
    nodeId,
    address: `10.0.0.${nodeId}:7000`,
    zone: "abc"[nodeId % 3],
    capacityBytes: 1e12,
    usedBytes,
  };
}

test("placement raft: three replicas apply the same commands across a leader change", async () => {
  const c = await PlacementCluster.start(T0, 21);
  try {
    const { kind: _k, atMs: _t, ...boot } = BOOTSTRAP;
    assert.equal((await c.propose({ kind: "bootstrap", ...boot })).outcome.kind, "applied");
    for (let round = 0; round < 3; round++) {
      for (const id of [1, 2, 3]) await c.propose(heartbeat(id, round * 100 + id));
    }
    const ids = await c.propose({ kind: "allocate-ids", count: 4 });
    assert.deepEqual(ids.outcome, { kind: "ids", first: 2, count: 4 });
    const [left, right] = splitDescriptor(initialRegion([1, 2, 3]), new Uint8Array([0x6d]), 2);
    const report = (d: typeof left, leader: number): PlacementCommandBody => ({
      kind: "region-report",
      descriptor: d,
      leader,
      sizeBytes: 1 << 20,
      writesPerSec: 10,
      caughtUp: [1, 2, 3],
      term: 2,
    });
    await c.propose(report(left, 1));
    await c.propose(report(right, 2));

    // The leader is cut off; the other two elect a new one and go on without it.
    const old = await c.leader();
    const rest = c.members.filter((m) => m !== old).map((m) => String(m.id));
    c.net.partition([[String(old.id)], rest]);
    const next = await c.leader(old.id);
    assert.notEqual(next.id, old.id);
    for (let round = 0; round < 12; round++) {
      for (const id of [1, 2, 3]) await c.propose(heartbeat(id, 1000 + round), old.id);
    }
    await c.propose({ kind: "drain-node", nodeId: old.id }, old.id);
    const second = await c.propose({ kind: "allocate-ids", count: 1 }, old.id);
    assert.deepEqual(second.outcome, { kind: "ids", first: 6, count: 1 });
    await c.propose({ kind: "persist-tso-bound", bound: 123_456 }, old.id);
    // The logs were compacted meanwhile: the old leader catches up from a snapshot (the image).
    const compacted = next.node.rawNode.status().commit;
    await next.node.compactNow();
    c.net.heal();
    await c.converge();
    await c.run(200);
    await c.converge();

    const images = c.members.map((m) => m.state.image());
    for (const img of images.slice(1)) assert.deepEqual(img, images[0]);
    for (const m of c.members) {
      assert.ok(m.state.appliedIndex >= compacted, `member ${m.id} applied everything`);
      assert.equal(m.state.nextId, 7);
      assert.equal(m.state.tsoBound, 123_456);
      assert.equal(m.state.view.node(old.id)?.draining, true);
      assert.deepEqual(m.state.view.map.all().map((d) => d.id), [1, 2]);
      assert.equal(m.node.failure, undefined);
    }
    // The old leader had fallen behind the compacted log: it caught up from the image.
    assert.ok(old.restores >= 1, "the old leader restored a snapshot");
    assert.deepEqual(c.members.filter((m) => m !== old).map((m) => m.restores), [0, 0]);
  } finally {
    c.stop();
  }
});
