/**
 * Three multi-region drivers over real sockets through the multi-region peer
 * transport (peer_batch_cluster.ts): every region elects and commits on every
 * replica, a region's snapshot streams while another region keeps
 * committing, and the links come back after a node's connections drop.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type LogFields, SILENT_LOGGER } from "../../src/server/log/logger.ts";
import { BatchCluster } from "./peer_batch_cluster.ts";

const REGIONS = [1, 2, 3, 4, 5, 6, 7, 8];
const appliedEverywhere = (c: BatchCluster, region: number, value: string) =>
  c.nodes.every((n) => n.sms.get(region)?.applied.includes(value));

test("peer batches: 8 regions on 3 drivers over sockets elect and commit everywhere", async () => {
  const c = await BatchCluster.start({ nodes: 3, regions: 8, quiesce: true });
  try {
    await c.until(() => REGIONS.every((r) => c.leaderOf(r) !== undefined), "every region led");
    for (const r of REGIONS) assert.ok(c.propose(r, `v${r}`));
    await c.until(() => REGIONS.every((r) => appliedEverywhere(c, r, `v${r}`)), "applied");
    // Quiet regions: node-level beats flow, and a round's messages share batches.
    await c.until(() => c.nodes.every((n) => n.driver.quietCount === 8), "all regions quiet");
    for (const n of c.nodes) {
      assert.ok(n.receiver.counts.beats > 0, `node ${n.id} got beats`);
      assert.ok(n.receiver.counts.messages > n.receiver.counts.batches, "messages share batches");
      assert.equal(n.driver.droppedMessages, 0);
    }
    assert.ok(c.propose(3, "after quiet"));
    await c.until(() => appliedEverywhere(c, 3, "after quiet"), "a quiet region wakes");
  } finally {
    await c.close();
  }
});

test("peer batches: a region's snapshot streams to a follower while another region commits", async () => {
  const c = await BatchCluster.start({
    nodes: 3,
    regions: 2,
    quiesce: false,
    snapshotEntries: 4,
    transport: { snapshotChunkBytes: 8 * 1024, snapshotWindowBytes: 16 * 1024 },
  });
  try {
    await c.until(() => [1, 2].every((r) => c.leaderOf(r) !== undefined), "both regions led");
    // Node 3 leaves: its port closes, so its links and its peers' links to it drop.
    const n3 = c.node(3);
    const port3 = n3.port.port;
    n3.loop.stop();
    n3.down = true;
    await n3.port.close();
    const big = "x".repeat(40_000);
    for (let i = 0; i < 12; i++) {
      await c.until(() => c.propose(1, `${big}${i}`), "region 1 led by 1 or 2");
      await c.until(() => c.leaderOf(1)?.sms.get(1)?.applied.length === i + 1, `entry ${i}`);
    }
    // Node 3 is back: region 1 is compacted past its log, so it needs a snapshot.
    await c.openPort(n3, port3);
    n3.loop.start();
    n3.down = false;
    let next = 0;
    const keepWriting = () => {
      if (c.propose(2, `w${next}`)) next++;
      return (n3.sms.get(1)?.restores ?? 0) >= 1 && next > 20;
    };
    await c.until(keepWriting, "snapshot restored while region 2 writes", 10_000);
    await c.until(() => appliedEverywhere(c, 2, `w${next - 1}`), "region 2 applied on node 3");
    assert.deepEqual(n3.sms.get(1)?.applied, c.leaderOf(1)?.sms.get(1)?.applied);
    assert.ok(n3.receiver.snapshots.counts.received >= 1);
    assert.equal(n3.receiver.snapshots.counts.refused, 0);
  } finally {
    await c.close();
  }
});

test("peer batches: links come back after a node's connections drop", async () => {
  const events: string[] = [];
  const note = (event: string, f?: LogFields) => void events.push(`${event} ${f?.peer}`);
  const logger = { ...SILENT_LOGGER, info: note, warn: note };
  const c = await BatchCluster.start({
    nodes: 3,
    regions: 4,
    quiesce: false,
    transport: { logger },
  });
  try {
    await c.until(() => [1, 2, 3, 4].every((r) => c.leaderOf(r) !== undefined), "led");
    const n2 = c.node(2);
    const port2 = n2.port.port;
    await n2.port.close(); // every connection to node 2 drops; its driver keeps running
    await c.openPort(n2, port2);
    for (const r of [1, 2, 3, 4]) await c.until(() => c.propose(r, `after${r}`), "led again");
    await c.until(
      () => [1, 2, 3, 4].every((r) => appliedEverywhere(c, r, `after${r}`)),
      "committed on every node after the drop",
    );
    // The links to node 2 were really lost and came back (not merely idle).
    assert.ok(events.includes("peer.lost 2") && events.includes("peer.back 2"), String(events));
  } finally {
    await c.close();
  }
});
