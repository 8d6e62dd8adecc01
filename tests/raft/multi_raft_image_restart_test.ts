/**
 * A replica whose region image reached its state machine while a crash lost the snapshot's
 * marker (the simulator's seed 24 with regions): a replica created from a peer's message has
 * an empty log; the leader's snapshot brings an image newer than the snapshot, at index J; the
 * image is installed before the marker is saved, and a crash comes in between. At the restart
 * the region is on the engine (at J) with an empty log the node held. Bootstrapped like a split
 * child, its log became a marker (J, SPLIT_CHILD_TERM) at its commit, where the leader's entry J
 * is of a later term: the leader's appends never landed. Its log now stays empty, and the
 * leader sends a snapshot again (split_child.ts, `addSplitChildren`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EMPTY_HARD_STATE } from "../../src/raft/core/messages.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import type { RegionDescriptor } from "../../src/region/descriptor.ts";
import { addSplitChildren, SPLIT_CHILD_TERM } from "../../src/raft/multi/split_child.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { MultiCluster } from "./multi_raft_cluster.ts";

const CHILD = 2;
const SPLIT_INDEX = 5;
const WRITES = 6;

const descriptor: RegionDescriptor = {
  id: CHILD,
  start: utf8("m"),
  end: new Uint8Array(0),
  epoch: { version: 2, confVer: 1 },
  replicas: [1, 2, 3].map((nodeId) => ({ nodeId, role: "voter" as const })),
};

async function write(c: MultiCluster, from: number, count: number): Promise<void> {
  for (let k = from; k < from + count; k++) {
    assert.ok(c.driver(1).propose(CHILD, utf8(`v${k}`)) !== undefined);
    await c.run(2);
  }
}

test("multi raft: an image whose snapshot marker a crash lost gets no marker at its index", async () => {
  const c = await MultiCluster.start({ nodes: 3, regions: 1, seed: 24, loss: 0, quiesce: false });
  for (const n of [1, 2, 3]) {
    const child = { spec: { id: CHILD, sm: c.newSm(n, CHILD) }, index: SPLIT_INDEX, descriptor };
    await addSplitChildren(c.driver(n), c.logs[n - 1], [{ ...child, campaign: n === 1 }]);
  }
  await c.run(4);
  await c.until(() => c.leaderOf(CHILD) === 1, 100, "child leader");
  await write(c, 0, WRITES);
  const leader = () => c.driver(1).region(CHILD)?.rawNode.status();
  const image = leader()?.lastIndex ?? 0; // J: the writes and the leader's empty entry
  assert.ok(image > SPLIT_INDEX + WRITES);
  const leaderLog = c.logs[0].group(CHILD);
  assert.ok(leaderLog.storage.term(image) > SPLIT_CHILD_TERM, "entry J is of the leader's term");

  // Node 3 loses its replica and comes back; a leader's message made an uninitialized replica
  // (its log saved, empty: region_creation.ts), the image at J reached the engine, and a crash
  // lost the snapshot's marker. At the restart the region is on the engine at J.
  c.kill(3);
  c.worlds[2] = createSimWorld(2403, { trace: false });
  c.sms[2] = new Map();
  await c.restart(3, false);
  const log3 = c.logs[2];
  const placeholder = { hardState: EMPTY_HARD_STATE, entries: [], snapshot: undefined };
  await log3.save(new Map([[CHILD, { ...placeholder, mustSync: true }]]));
  const sm = c.newSm(3, CHILD);
  const data = c.sm(1, CHILD)?.image(image) ?? new Uint8Array();
  sm.restore({ metadata: { index: image, term: 0, confState: leaderLog.confState }, data });
  const opened = { spec: { id: CHILD, sm }, index: image, descriptor, fromEngine: true };
  await addSplitChildren(c.driver(3), log3, [opened]);
  const view = log3.group(CHILD);
  assert.equal(view.snapshotMarker.index, 0, "no marker at the image's index");
  assert.equal(view.lastIndex(), 0);

  // The leader's appends land: node 3 gets a snapshot again and catches up.
  await write(c, WRITES, 3);
  const caughtUp = () => c.sm(3, CHILD)?.applied.length === WRITES + 3;
  await c.until(caughtUp, 300, "node 3 caught up");
  assert.deepEqual(c.sm(3, CHILD)?.applied, c.sm(1, CHILD)?.applied);
  assert.equal(sm.restores, 2, "the leader sent a snapshot again");
  const last = leader()?.lastIndex ?? 0;
  await c.until(() => view.lastIndex() === last, 100, "node 3's log holds the leader's");
  assert.equal(view.storage.term(last), leaderLog.storage.term(last));
});
