/**
 * When the simulator's nemesis may destroy one more node's data with regions
 * (src/sim/region_quorum.ts): only when every region keeps a majority of voters that may vote
 * without any one node. Seed 9 with regions wiped node 2 while region 7 ran on voters 1 and 2
 * with node 3 a learner: a majority of its voters lost, the region never had a leader again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EMPTY_CONF_STATE } from "../../../src/raft/core/messages.ts";
import type { HostedRegion } from "../../../src/server/node/region_host.ts";
import { regionsSurviveOneLoss } from "../../../src/sim/region_quorum.ts";
import type { SimCluster } from "../../../src/sim/sim_cluster.ts";

interface Replica {
  readonly id: number;
  readonly leader?: boolean;
  readonly voters?: number[];
  readonly learners?: number[];
  /** A replica still catching up after it was created or rebuilt: it votes for no one. */
  readonly suppressVotes?: boolean;
}

function hosted(r: Replica): HostedRegion {
  const confState = { ...EMPTY_CONF_STATE, voters: r.voters ?? [], learners: r.learners ?? [] };
  const status = () => ({ confState });
  const rawNode = { isLeader: r.leader === true, status };
  const group = { rawNode, suppressVotes: r.suppressVotes === true };
  return { id: r.id, group, kv: {} } as unknown as HostedRegion; // kv: not merged away
}

/** Node i + 1 hosts nodes[i]. */
function cluster(nodes: Replica[][]): SimCluster {
  const all = nodes.map((rs, i) => ({
    server: {
      node: {
        o: { id: i + 1 },
        local: {
          host: {
            all: () => rs.map(hosted),
            withMerged: () => rs.map(hosted),
          },
        },
      },
    },
  }));
  return { nodes: all } as unknown as SimCluster;
}

const r7 = (o: Omit<Replica, "id"> = {}) => ({ id: 7, ...o });

test("the nemesis destroys a node's data only while every region survives losing one", () => {
  const three = { leader: true, voters: [1, 2, 3] };
  assert.ok(regionsSurviveOneLoss(cluster([[r7(three)], [r7()], [r7()]])));
  // Seed 9: two voters and a learner; losing either voter loses the region's majority.
  const two = { leader: true, voters: [1, 2], learners: [3] };
  assert.ok(!regionsSurviveOneLoss(cluster([[r7(two)], [r7()], [r7()]])));
  // Three voters, one a replica still catching up (votes for no one), or not hosted at all.
  const catching = [[r7(three)], [r7()], [r7({ suppressVotes: true })]];
  assert.ok(!regionsSurviveOneLoss(cluster(catching)));
  assert.ok(!regionsSurviveOneLoss(cluster([[r7(three)], [r7()], []])));
  // Five voters, one catching up: any one more lost still leaves three of five.
  const five = { leader: true, voters: [1, 2, 3, 4, 5] };
  const fiveNodes = [[r7(five)], [r7()], [r7()], [r7()], [r7({ suppressVotes: true })]];
  assert.ok(regionsSurviveOneLoss(cluster(fiveNodes)));
  // No leader anywhere: not known to be safe.
  assert.ok(!regionsSurviveOneLoss(cluster([[r7()], [r7()], [r7()]])));
  // Regions 0 and 1 are not this check's (region 1: heal.ts wholeAndCaughtUp).
  assert.ok(regionsSurviveOneLoss(cluster([[{ id: 1 }], [{ id: 0 }]])));
});
