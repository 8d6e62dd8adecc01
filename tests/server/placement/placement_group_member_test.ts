/**
 * Whether a node may hold region 0 (src/server/placement/placement_group_member.ts): before a
 * placement leader has named the group, a founding voter of `--peers` may, a joiner never (a
 * founding voter removed, wiped and joined again took `--peers` for the group and waited on a
 * replica the group had left for an election: the simulator's seed 243 with merges); once named,
 * the group's configuration alone decides.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { GroupMember } from "../../../src/server/placement/placement_group_member.ts";
import type { PlacementNode } from "../../../src/server/placement/placement_node.ts";

/** The parts of a PlacementNode a GroupMember reads, for a node that holds no region 0. */
function nodeOf(id: number, join: boolean): PlacementNode {
  const peers = new Map([1, 2, 3, 4].map((n) => [n, `n${n}:7001`]));
  const store = { onRestored: (_: number) => {}, state: { appliedIndex: 0 } };
  const fake = {
    d: { o: { id, peers, join }, driver: {}, between: undefined, log: {} },
    member: false,
    heartbeats: { soon: () => {} },
    store,
  };
  return fake as unknown as PlacementNode;
}

test("placement group member: a joiner takes no claim from --peers, the group's answer decides", () => {
  const founder = new GroupMember(nodeOf(1, false), () => {});
  assert.equal(founder.mayHold(), true, "a founding voter before a first answer");
  assert.equal(
    new GroupMember(nodeOf(4, false), () => {}).mayHold(),
    false,
    "not among the first three",
  );

  const joiner = new GroupMember(nodeOf(1, true), () => {});
  assert.equal(joiner.mayHold(), false, "a joiner, though first in --peers");
  joiner.heard({ index: 7, voters: [2, 3, 4], learners: [1], settled: false });
  assert.equal(joiner.mayHold(), true, "listed as a learner");
  joiner.heard({ index: 9, voters: [2, 3, 4], learners: [], settled: true });
  assert.equal(joiner.mayHold(), false, "left out again");
  founder.heard({ index: 9, voters: [2, 3, 4], learners: [], settled: true });
  assert.equal(founder.mayHold(), false, "the answer overrides --peers");
});
