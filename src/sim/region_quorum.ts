/**
 * Whether the nemesis may destroy one more node's data with regions (nemesis.ts `mayDamage`).
 * Region 1 is whole and caught up before any such fault (heal.ts `wholeAndCaughtUp`), but
 * every other region has replicas of its own: a region can run on two voters and a learner
 * for a while (a member removed, its replacement not promoted yet), and wiping one of those
 * two loses a majority of its voters — no Raft group recovers from that (it cannot even
 * remove the lost voter), so the fault is outside what the simulator's fault model allows,
 * as it is for region 1 (the simulator's seed 9 with regions: region 7 on voters 1 and 2 with
 * 3 a learner, then node 2's data destroyed; docs/regions.md "Simulation runs").
 */
import { byRegion } from "./region_final.ts";
import type { SimCluster } from "./sim_cluster.ts";

/**
 * Every region other than 0 (the placement group) and 1 has a leader, no joint configuration,
 * and voters that may vote (hosted on a running node, not a replica still catching up after it
 * was created or rebuilt, which votes for no one) and stay a majority without any one of them.
 * How far behind a voter is does not matter: whatever was committed is on that majority.
 */
export function regionsSurviveOneLoss(c: SimCluster): boolean {
  for (const [id, hosts] of byRegion(c)) {
    if (id <= 1) continue;
    const leader = [...hosts.values()].find((r) => r.group.rawNode.isLeader);
    if (leader === undefined) return false;
    const cs = leader.group.rawNode.status().confState;
    if (cs.votersOutgoing.length > 0) return false;
    const voting = cs.voters.filter((v) => hosts.get(v)?.group.suppressVotes === false);
    if (voting.length - 1 < Math.floor(cs.voters.length / 2) + 1) return false;
  }
  return true;
}
