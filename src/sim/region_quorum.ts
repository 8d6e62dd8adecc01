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
import type { HostedRegion } from "../server/node/region_host.ts";
import type { SimCluster } from "./sim_cluster.ts";

type Status = ReturnType<HostedRegion["group"]["rawNode"]["status"]>;

/**
 * Every region other than 0 (the placement group) and 1 has a leader, no joint configuration,
 * and voters caught up to its commit index that stay a majority without any one of them.
 */
export function regionsSurviveOneLoss(c: SimCluster): boolean {
  const seen = new Set<number>();
  const led = new Map<number, Status>();
  for (const n of c.nodes) {
    for (const r of n.server?.node.local.host.all() ?? []) {
      if (r.id <= 1) continue;
      seen.add(r.id);
      if (r.group.rawNode.isLeader) led.set(r.id, r.group.rawNode.status());
    }
  }
  for (const id of seen) {
    const st = led.get(id);
    if (st === undefined || st.confState.votersOutgoing.length > 0) return false;
    const voters = st.confState.voters;
    const caughtUp = voters.filter((v) => (st.progress.get(v)?.match ?? 0) >= st.commit);
    if (caughtUp.length - 1 < Math.floor(voters.length / 2) + 1) return false;
  }
  return true;
}
