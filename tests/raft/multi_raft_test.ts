/**
 * The multi-region driver (src/raft/multi/): many regions on three nodes over
 * a lossy, reordering in-memory network; one fsync per round whatever the
 * number of regions; crash and restart; a dead leader node (idle, quiescent
 * regions included); regions added and removed at runtime.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { utf8 } from "../../src/util/bytes.ts";
import { MULTI_RAFT_INBOX_BATCHES_MAX } from "../../src/limits_ops.ts";
import { MultiCluster } from "./multi_raft_cluster.ts";

const REGIONS = 50;

/** Elects node (r % 3) + 1 in every region r; returns once all have a leader. */
async function electSpread(c: MultiCluster, regions: number[]): Promise<void> {
  for (const r of regions) c.driver((r % 3) + 1).region(r)?.rawNode.campaign();
  await c.run(4);
  await c.until(() => regions.every((r) => c.leaderOf(r) !== 0), 200, "leaders");
}

/** Proposes `k` values to every region's leader. */
function proposeAll(c: MultiCluster, regions: number[], k: number): void {
  for (const r of regions) {
    const d = c.driver(c.leaderOf(r));
    assert.ok(d.propose(r, utf8(`r${r}v${k}`)) !== undefined);
  }
}

function appliedEverywhere(c: MultiCluster, regions: number[], count: number, nodes: number[]) {
  return regions.every((r) => nodes.every((n) => (c.sm(n, r)?.applied.length ?? 0) >= count));
}

for (const quiesce of [true, false]) {
  const name = quiesce ? "quiescence" : "no quiescence";
  test(`multi raft (${name}): 50 regions commit in order on every replica`, async () => {
    const c = await MultiCluster.start({
      nodes: 3,
      regions: REGIONS,
      seed: 5,
      loss: 0.05,
      quiesce,
    });
    const ids = Array.from({ length: REGIONS }, (_, i) => i + 1);
    await electSpread(c, ids);
    for (let k = 0; k < 3; k++) proposeAll(c, ids, k);
    await c.until(() => appliedEverywhere(c, ids, 3, [1, 2, 3]), 200, "applied");
    for (const r of ids) {
      const want = [0, 1, 2].map((k) => `r${r}v${k}`);
      for (const n of [1, 2, 3]) assert.deepEqual(c.sm(n, r)?.applied, want, `n${n} r${r}`);
    }
    if (quiesce) {
      // Lost beats are made up for by the periodic full listing.
      await c.until(() => c.drivers.every((d) => d.quietCount === REGIONS), 100, "all quiet");
    }
    // One fsync per round, whatever the number of regions in it.
    const leader = c.driver(1);
    const led = ids.filter((r) => c.leaderOf(r) === 1);
    assert.ok(led.length >= 10);
    const [syncs, rounds] = [c.logs[0].syncs, leader.rounds];
    proposeAll(c, led, 3);
    await leader.runOnce();
    assert.ok(leader.rounds > rounds);
    assert.ok(c.logs[0].syncs - syncs <= leader.rounds - rounds, "at most one fsync per round");
    assert.equal(c.logs[0].syncs - syncs, 1, "every led region's entries in one fsync");
  });

  test(`multi raft (${name}): a crashed node recovers every region`, async () => {
    const c = await MultiCluster.start({ nodes: 3, regions: 20, seed: 7, loss: 0, quiesce });
    const ids = Array.from({ length: 20 }, (_, i) => i + 1);
    await electSpread(c, ids);
    for (let k = 0; k < 2; k++) proposeAll(c, ids, k);
    await c.until(() => appliedEverywhere(c, ids, 2, [1, 2, 3]), 100, "applied");
    if (quiesce) {
      // Quiet when it crashes: its restart (a new incarnation) wakes what it shares.
      await c.until(() => c.drivers.every((d) => d.quietCount === 20), 50, "quiet");
    }
    c.kill(2);
    c.worlds[1].fs.crash("lose");
    await c.restart(2, false);
    assert.equal(c.driver(2).regionIds().length, 20);
    await c.until(() => ids.every((r) => c.leaderOf(r) !== 0), 200, "leaders");
    proposeAll(c, ids, 2);
    await c.until(() => appliedEverywhere(c, ids, 3, [1, 2, 3]), 200, "re-applied");
    for (const r of ids) assert.deepEqual(c.sm(2, r)?.applied, c.sm(1, r)?.applied, `r${r}`);
  });

  test(`multi raft (${name}): a dead leader node is replaced in every region`, async () => {
    const c = await MultiCluster.start({ nodes: 3, regions: 30, seed: 9, loss: 0, quiesce });
    const ids = Array.from({ length: 30 }, (_, i) => i + 1);
    for (const r of ids) c.driver(1).region(r)?.rawNode.campaign();
    await c.until(() => ids.every((r) => c.leaderOf(r) === 1), 100, "node 1 leads");
    proposeAll(c, ids, 0);
    await c.until(() => appliedEverywhere(c, ids, 1, [1, 2, 3]), 100, "applied");
    if (quiesce) {
      await c.until(() => c.drivers.every((d) => d.quietCount === 30), 50, "quiet");
    }
    c.kill(1);
    await c.until(() => ids.every((r) => c.leaderOf(r) !== 0), 300, "new leaders");
    proposeAll(c, ids, 1);
    await c.until(() => appliedEverywhere(c, ids, 2, [2, 3]), 100, "applied after");
  });
}

test("multi raft: quiet regions wake on a proposal; a region added and removed", async () => {
  const c = await MultiCluster.start({ nodes: 3, regions: 10, seed: 11, loss: 0, quiesce: true });
  const ids = Array.from({ length: 10 }, (_, i) => i + 1);
  await electSpread(c, ids);
  await c.until(() => c.drivers.every((d) => d.quietCount === 10), 50, "quiet");
  // A follower counts the peer messages stepped into it (a replica left out of its configuration
  // stays while they come: region_operators.ts).
  const follower = [1, 2, 3].find((n) => n !== c.leaderOf(4)) ?? 0;
  const heard = () => c.driver(follower).region(4)?.messagesIn ?? 0;
  const before = heard();
  proposeAll(c, [4], 0);
  await c.until(() => appliedEverywhere(c, [4], 1, [1, 2, 3]), 50, "woken region applies");
  assert.ok(heard() > before, `messages stepped into region 4 on node ${follower}`);
  const reader = c.driver(c.leaderOf(5));
  await c.until(() => reader.quietCount === 10, 50, "quiet before the read");
  assert.deepEqual(reader.readIndex(5, utf8("read-1")), { ok: true });
  assert.equal(reader.quietCount, 9, "a read wakes its region");
  await c.until(() => (c.sm(reader.nodeId, 5)?.reads ?? 0) === 1, 50, "read answered");
  await c.until(() => reader.quietCount === 10, 50, "quiet again after the read");
  for (const n of [1, 2, 3]) {
    await c.driver(n).addRegions([{ id: 99, sm: c.newSm(n, 99), voters: [1, 2, 3] }]);
  }
  c.driver(2).region(99)?.rawNode.campaign();
  await c.until(() => c.leaderOf(99) === 2, 50, "region 99 leader");
  proposeAll(c, [99], 0);
  await c.until(() => appliedEverywhere(c, [99], 1, [1, 2, 3]), 50, "region 99 applies");
  for (const n of [1, 2, 3]) await c.driver(n).removeRegions([99]);
  for (const n of [1, 2, 3]) {
    assert.equal(c.driver(n).region(99), undefined);
    assert.ok(!c.logs[n - 1].regionIds().includes(99));
  }
  await c.until(() => c.drivers.every((d) => d.quietCount === 10), 50, "quiet again");
});

test("multi raft: logs compact per region; a lagging follower gets a snapshot image", async () => {
  const c = await MultiCluster.start({
    nodes: 3,
    regions: 4,
    seed: 13,
    loss: 0,
    quiesce: true,
    snapshotEntries: 5,
  });
  const ids = [1, 2, 3, 4];
  for (const r of ids) c.driver(1).region(r)?.rawNode.campaign();
  await c.until(() => ids.every((r) => c.leaderOf(r) === 1), 100, "node 1 leads");
  c.kill(3);
  for (let k = 0; k < 12; k++) proposeAll(c, ids, k);
  await c.until(() => appliedEverywhere(c, ids, 12, [1, 2]), 100, "applied on 1 and 2");
  for (const r of ids) {
    assert.ok(c.logs[0].group(r).snapshotMarker.index >= 10, `region ${r} compacted`);
    assert.ok((c.sm(1, r)?.flushes ?? 0) >= 1, "flushed before compacting");
  }
  c.down.delete(3); // back, behind every region's compaction point
  await c.until(() => appliedEverywhere(c, ids, 12, [3]), 100, "node 3 caught up");
  for (const r of ids) {
    assert.ok((c.sm(3, r)?.restores ?? 0) >= 1, `region ${r} restored from a snapshot`);
    assert.deepEqual(c.sm(3, r)?.applied, c.sm(1, r)?.applied);
  }
});

test("multi raft: the inbox holds MULTI_RAFT_INBOX_BATCHES_MAX batches; the next is dropped", async () => {
  const c = await MultiCluster.start({ nodes: 1, regions: 1, seed: 9, loss: 0, quiesce: false });
  const d = c.driver(1);
  const batch = { from: 2, to: 1, messages: [] };
  for (let i = 0; i < MULTI_RAFT_INBOX_BATCHES_MAX; i++) assert.ok(d.receive(batch));
  assert.equal(d.receive(batch), false);
  assert.equal(d.droppedBatches, 1);
});

test("multi raft: a quiet leader takes a follower whose node stopped beating as not heard", async () => {
  const c = await MultiCluster.start({ nodes: 3, regions: 10, seed: 13, loss: 0, quiesce: true });
  const ids = Array.from({ length: 10 }, (_, i) => i + 1);
  for (const r of ids) c.driver(1).region(r)?.rawNode.campaign();
  await c.until(() => ids.every((r) => c.leaderOf(r) === 1), 100, "node 1 leads");
  proposeAll(c, ids, 0);
  await c.until(() => appliedEverywhere(c, ids, 1, [1, 2, 3]), 100, "applied");
  await c.until(() => c.driver(1).quietCount === 10, 50, "quiet");
  const heard = (r: number, node: number) => {
    const replica = c.driver(1).region(r);
    const pr = replica?.rawNode.status().progress.get(node);
    return replica?.heardFrom(node, pr?.heardRecently ?? false) ?? false;
  };
  assert.ok(ids.every((r) => heard(r, 2) && heard(r, 3) && heard(r, 1)));
  c.kill(3);
  // Quiet, the regions do not tick: their progress keeps node 3 "heard recently" for good.
  for (let i = 0; i < 40; i++) await c.tick();
  assert.equal(c.driver(1).quietCount, 10, "a dead follower lets the regions stay quiet");
  const frozen = c.driver(1).region(1)?.rawNode.status().progress.get(3)?.heardRecently;
  assert.equal(frozen, true, "the core's flag stands where it was");
  for (const r of ids) {
    assert.equal(heard(r, 3), false, `region ${r}: node 3 stopped beating`);
    assert.ok(heard(r, 2) && heard(r, 1), `region ${r}: node 2 beats, node 1 is the leader`);
  }
});

test("multi raft: regions whose entries crowd the log's oldest segment compact below their thresholds", async () => {
  // Thresholds never reached: only the log's crowding compacts. Without it every roll copied the
  // regions' uncompacted entries forward again (the growth run, session 27).
  const c = await MultiCluster.start({
    nodes: 1,
    regions: 3,
    seed: 77,
    loss: 0,
    quiesce: false,
    snapshotEntries: 1_000_000,
    log: { segmentBytes: 4096, segmentsKept: 3 },
  });
  await c.until(() => [1, 2, 3].every((r) => c.leaderOf(r) === 1), 100, "n1 leads");
  const d = c.driver(1);
  const value = "x".repeat(100);
  for (let i = 0; i < 300; i++) {
    for (const r of [1, 2, 3]) assert.ok(d.propose(r, utf8(`${value}${i}`))?.ok);
    await c.run(1);
  }
  await c.run(5);
  for (const r of [1, 2, 3]) {
    assert.equal(c.sm(1, r)?.applied.length, 300, `region ${r} applied everything`);
    const first = c.logs[0].group(r).firstIndex();
    assert.ok(first > 250, `region ${r}: compacted up to ${first - 1}`);
  }
  assert.ok(c.logs[0].segmentCount <= 4, `segments ${c.logs[0].segmentCount}`);
});

test("multi raft: past the node's bound for uncompacted entries, the regions holding most compact", async () => {
  // Each region's own bound (10,000 bytes) is never reached; the four together pass it once,
  // after 20 rounds (regions 4 and 3 then hold 7,000 of 10,000 bytes: they compact; 1 and 2 not).
  const c = await MultiCluster.start({
    nodes: 1,
    regions: 4,
    seed: 78,
    loss: 0,
    quiesce: false,
    snapshotEntries: 1_000_000,
    snapshotBytes: 10_000,
  });
  const ids = [1, 2, 3, 4];
  await c.until(() => ids.every((r) => c.leaderOf(r) === 1), 100, "n1 leads");
  const d = c.driver(1);
  for (let i = 0; i < 30; i++) {
    for (const r of ids) assert.ok(d.propose(r, utf8("x".repeat(50 * r)))?.ok);
    await c.run(1);
  }
  await c.run(5);
  for (const r of ids) assert.equal(c.sm(1, r)?.applied.length, 30, `region ${r} applied all`);
  const compacted = ids.filter((r) => c.logs[0].group(r).firstIndex() > 2);
  assert.deepEqual(compacted, [3, 4], "the two regions holding most compacted");
  assert.ok((c.sm(1, 4)?.flushes ?? 0) >= 1, "flushed before compacting");
});
