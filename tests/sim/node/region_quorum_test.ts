/**
 * When the simulator's nemesis may destroy one more node's data with regions
 * (src/sim/region_quorum.ts): only when every region keeps a majority of caught-up voters without
 * any one node. Seed 9 with regions wiped node 2 while region 7 ran on voters 1 and 2 with node 3
 * a learner: a majority of its voters lost, the region never had a leader again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EMPTY_CONF_STATE } from "../../../src/raft/core/messages.ts";
import type { HostedRegion } from "../../../src/server/node/region_host.ts";
import { regionsSurviveOneLoss } from "../../../src/sim/region_quorum.ts";
import type { SimCluster } from "../../../src/sim/sim_cluster.ts";

interface Replica {
  readonly id: number;
  readonly leader: boolean;
  readonly voters?: number[];
  readonly learners?: number[];
  readonly match?: Record<number, number>;
}

function hosted(r: Replica): HostedRegion {
  const confState = { ...EMPTY_CONF_STATE, voters: r.voters ?? [], learners: r.learners ?? [] };
  const progress = new Map(
    Object.entries(r.match ?? {}).map(([id, m]) => [Number(id), { match: m }]),
  );
  const status = () => ({ commit: 10, confState, progress });
  return {
    id: r.id,
    group: { rawNode: { isLeader: r.leader, status } },
  } as unknown as HostedRegion;
}

function cluster(nodes: Replica[][]): SimCluster {
  const all = nodes.map((rs) => ({
    server: { node: { local: { host: { all: () => rs.map(hosted) } } } },
  }));
  return { nodes: all } as unknown as SimCluster;
}

const caughtUp = { 1: 10, 2: 10, 3: 10 };
const follower = (id: number) => ({ id, leader: false });

test("the nemesis destroys a node's data only while every region survives losing one", () => {
  const whole = { id: 7, leader: true, voters: [1, 2, 3], match: caughtUp };
  assert.ok(regionsSurviveOneLoss(cluster([[whole], [follower(7)], [follower(7)]])));
  // Seed 9: two voters and a learner; losing either voter loses the region's majority.
  const two = { id: 7, leader: true, voters: [1, 2], learners: [3], match: caughtUp };
  assert.ok(!regionsSurviveOneLoss(cluster([[two], [follower(7)], [follower(7)]])));
  // Three voters, one behind: losing a caught-up one leaves no caught-up majority.
  const behind = { id: 7, leader: true, voters: [1, 2, 3], match: { 1: 10, 2: 10, 3: 7 } };
  assert.ok(!regionsSurviveOneLoss(cluster([[behind], [follower(7)], [follower(7)]])));
  // No leader anywhere: not known to be safe.
  assert.ok(!regionsSurviveOneLoss(cluster([[follower(7)], [follower(7)]])));
  // Regions 0 and 1 are not this check's (region 1: heal.ts wholeAndCaughtUp).
  assert.ok(regionsSurviveOneLoss(cluster([[follower(1)], [follower(0)]])));
});
