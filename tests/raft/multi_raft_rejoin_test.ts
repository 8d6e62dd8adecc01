/**
 * A follower back with a shorter log than it acknowledged (the simulator's seed 18 with
 * regions): a node wiped with its identity kept gets its replica of a split-off region again
 * from its parent's split, so the replica's log starts at the split's index while the leader's
 * progress still says it holds everything. Its probe is rejected below that match; the leader
 * must back off below it, or the follower never catches up (docs/regions.md "Simulation runs").
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import type { RegionDescriptor } from "../../src/region/descriptor.ts";
import { addSplitChildren } from "../../src/raft/multi/split_child.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { MultiCluster } from "./multi_raft_cluster.ts";

const CHILD = 2;
const SPLIT_INDEX = 5;
const WRITES = 9;

const descriptor: RegionDescriptor = {
  id: CHILD,
  start: utf8("m"),
  end: new Uint8Array(0),
  epoch: { version: 2, confVer: 1 },
  replicas: [1, 2, 3].map((nodeId) => ({ nodeId, role: "voter" as const })),
};

/** Adds the split's child on node n, its log bootstrapped at the split's index. */
async function addChild(c: MultiCluster, n: number): Promise<void> {
  const sm = c.newSm(n, CHILD);
  const child = { spec: { id: CHILD, sm }, index: SPLIT_INDEX, descriptor, campaign: n === 1 };
  await addSplitChildren(c.driver(n), c.logs[n - 1], [child]);
}

/** Whether node `n` applied every write to the child region. */
function applied(c: MultiCluster, n: number): boolean {
  return c.sm(n, CHILD)?.applied.length === WRITES;
}

/** The child region on every node, led by node 1, WRITES applied everywhere, its leader quiet. */
async function writtenAndQuiet(c: MultiCluster): Promise<void> {
  for (const n of [1, 2, 3]) await addChild(c, n);
  await c.run(4);
  await c.until(() => c.leaderOf(CHILD) === 1, 100, "child leader");
  for (let k = 0; k < WRITES; k++) {
    assert.ok(c.driver(1).propose(CHILD, utf8(`v${k}`)) !== undefined);
    await c.run(2);
  }
  await c.until(() => [1, 2, 3].every((n) => applied(c, n)), 100, "applied everywhere");
  await c.until(() => c.driver(1).quietCount >= 1, 50, "child quiet");
}

// With quiescence, as nodes run: a restart is seen by its liveness beat's new incarnation (its
// leaders probe it again); without quiescence no beats are sent and nothing probes it.
test("multi raft: a follower back with a log shorter than its match catches up", async () => {
  const c = await MultiCluster.start({ nodes: 3, regions: 1, seed: 18, loss: 0, quiesce: true });
  await writtenAndQuiet(c);
  const led = c.driver(1).region(CHILD)?.rawNode.status();
  const last = led?.lastIndex ?? 0; // the writes and the leader's empty entry
  assert.ok(last > SPLIT_INDEX + WRITES);
  assert.equal(led?.progress.get(3)?.match, last, "node 3 acknowledged every entry");

  // Node 3 loses its disk and comes back (a new incarnation) with the child made again from
  // the parent's split: its log ends at the split's index, below what it acknowledged.
  c.kill(3);
  c.worlds[2] = createSimWorld(1803, { trace: false });
  c.sms[2] = new Map();
  await c.restart(3, false);
  await addChild(c, 3);
  assert.equal(c.driver(3).region(CHILD)?.rawNode.status().lastIndex, SPLIT_INDEX);

  await c.until(() => applied(c, 3), 200, "node 3 caught up");
  assert.deepEqual(c.sm(3, CHILD)?.applied, c.sm(1, CHILD)?.applied);
  assert.equal(c.driver(3).region(CHILD)?.rawNode.status().lastIndex, last);
});

// The simulator's seed 47 with regions: a wiped node's replica is created only by a message of
// the region's leader (server/node/region_creation.ts). Its leader, probing the new incarnation
// and hearing nothing (no replica yet), went quiet; the replica created from its last heartbeat
// then waited for a message that never came.
test("multi raft: a quiet leader keeps probing a live node that lost its replica", async () => {
  const c = await MultiCluster.start({ nodes: 3, regions: 1, seed: 47, loss: 0, quiesce: true });
  await writtenAndQuiet(c);

  // Node 3 loses its disk and comes back without the region; it beats (alive) but has no
  // replica to answer the leader with for a while.
  c.kill(3);
  c.worlds[2] = createSimWorld(4703, { trace: false });
  c.sms[2] = new Map();
  await c.restart(3, false);
  for (let i = 0; i < 40; i++) await c.tick();
  assert.equal(c.driver(1).quietCount, 0, "the leader stays awake for the live node");

  // Then a leader's message makes an uninitialized replica there, which votes for no one.
  await c.driver(3).addRegions([{ id: CHILD, sm: c.newSm(3, CHILD) }]);
  const replica = c.driver(3).region(CHILD);
  assert.ok(replica !== undefined);
  replica.suppressVotes = true;
  await c.until(() => applied(c, 3), 200, "node 3 caught up");
  assert.deepEqual(c.sm(3, CHILD)?.applied, c.sm(1, CHILD)?.applied);
  await c.until(() => c.driver(1).quietCount >= 1, 100, "quiet again once it replicates");
});
