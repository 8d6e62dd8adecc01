/**
 * Liveness beats follow the members of the regions a driver holds (src/raft/multi/driver_quiet.ts),
 * not only the peers it was started with: a member added at runtime gets them, a removed one
 * stops getting them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import {
  type ConfChange,
  ConfChangeTransition,
  ConfChangeType,
} from "../../src/raft/core/confchange/conf_change.ts";
import { MultiRaftDriver } from "../../src/raft/multi/driver.ts";
import type { NodeBatch } from "../../src/raft/multi/transport.ts";
import { MultiLogStore } from "../../src/raft/multi_log_store.ts";
import { ListSm } from "./multi_raft_cluster.ts";

function change(type: ConfChangeType, nodeId: number): ConfChange {
  return { transition: ConfChangeTransition.Auto, changes: [{ type, nodeId }] };
}

test("multi beats: a member added at runtime gets liveness beats, a removed one stops", async () => {
  const world = createSimWorld(7, { trace: false });
  const log = await MultiLogStore.open(world.fs, "multi", { preallocateBytes: 0 });
  const sent: NodeBatch[] = [];
  const d = new MultiRaftDriver({
    nodeId: 1,
    log,
    transport: { send: (b) => sent.push(b) },
    raft: { electionTicks: 10, heartbeatTicks: 1, preVote: true },
    peers: [2], // started knowing node 2 only
    seed: 7,
    incarnation: 1,
  });
  await d.addRegions([{ id: 1, sm: new ListSm(), voters: [1] }]);
  d.region(1)?.rawNode.campaign();
  await d.runOnce();
  assert.ok(d.region(1)?.rawNode.isLeader);
  /** The nodes a few ticks' beats went to. */
  const beatTargets = async () => {
    sent.length = 0;
    for (let i = 0; i < 3; i++) {
      d.tick();
      await d.runOnce();
    }
    return [...new Set(sent.filter((b) => b.beat !== undefined).map((b) => b.to))].sort();
  };
  assert.deepEqual(await beatTargets(), [2]);

  const apply = async (cc: ConfChange) => {
    assert.ok(d.regionNode(1)?.proposeConfChange(cc).ok);
    for (let i = 0; i < 5; i++) await d.runOnce();
  };
  await apply(change(ConfChangeType.AddLearner, 4));
  assert.deepEqual(d.region(1)?.rawNode.status().confState.learners, [4]);
  assert.deepEqual(await beatTargets(), [2, 4], "the new learner gets beats");
  await apply(change(ConfChangeType.RemoveNode, 4));
  assert.deepEqual(d.region(1)?.rawNode.status().confState.learners, []);
  assert.deepEqual(await beatTargets(), [2], "the removed member no longer does");
  log.close();
});

test("multi conf change: one the state machine refuses leaves the configuration as it was", async () => {
  const world = createSimWorld(8, { trace: false });
  const log = await MultiLogStore.open(world.fs, "multi", { preallocateBytes: 0 });
  const d = new MultiRaftDriver({
    nodeId: 1,
    log,
    transport: { send: () => {} },
    raft: { electionTicks: 10, heartbeatTicks: 1, preVote: true },
    peers: [2],
    seed: 8,
    incarnation: 1,
  });
  // As a frozen merge source does (server/node/region_membership.ts): asked once per entry.
  const refusing = new Set<number>();
  const asked: number[] = [];
  class RefusingSm extends ListSm {
    refusesConfChange(index: number): boolean {
      asked.push(index);
      return refusing.has(index);
    }
  }
  await d.addRegions([{ id: 1, sm: new RefusingSm(), voters: [1] }]);
  d.region(1)?.rawNode.campaign();
  await d.runOnce();
  const propose = async (cc: ConfChange, refuse: boolean) => {
    const r = d.regionNode(1)?.proposeConfChange(cc);
    assert.ok(r?.ok && !r.forwarded);
    if (refuse) refusing.add(r.index);
    for (let i = 0; i < 5; i++) await d.runOnce();
    return r.index;
  };
  const refused = await propose(change(ConfChangeType.AddLearner, 4), true);
  assert.deepEqual(d.region(1)?.rawNode.status().confState.learners, [], "refused: no learner");
  assert.deepEqual(asked, [refused]);
  const taken = await propose(change(ConfChangeType.AddLearner, 5), false);
  assert.deepEqual(d.region(1)?.rawNode.status().confState.learners, [5], "the next one is taken");
  assert.deepEqual(asked, [refused, taken]);
  log.close();
});
