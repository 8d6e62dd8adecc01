/**
 * Region 1's voters (docs/decisions/0021-membership-apart-from-region-1.md; docs/regions.md
 * "Region 1's voters"). Region 1's configuration is the cluster's membership: every member holds
 * a replica, voter or learner. In a sharded cluster only `wanted` of them vote — `--replicas`,
 * capped by the members — so its quorum does not grow with the cluster, and a voter on a node
 * that is down past the replace timeout or draining gives its vote to a live learner, as a
 * replica of every other region would move. Nothing here adds or removes a member: that stays
 * `member add` / `member remove`; a demoted voter stays a member (a learner).
 *
 * Every change is one "promote" step (operator.ts), which the region's leader runs as simple
 * changes, the learner promoted before the voter is demoted (operator_step.ts). In order:
 *
 * 1. a bad voter (draining, or down past the replace timeout) is demoted in exchange for a
 *    usable learner; with no such learner it stays (demoting it alone would not make region 1 more
 *    available), unless region 1 has more voters than wanted;
 * 2. fewer voters than wanted: a usable learner is promoted;
 * 3. more voters than wanted: one is demoted — a bad one first, then one whose zone another
 *    voter shares, then the highest id, never the leader while another can go;
 * 4. voters sharing a zone while a usable learner's zone has none: exchange one for it.
 *
 * A learner is chosen reported caught up first, then in a zone the good voters do not cover,
 * then by lowest id.
 */
import type { RegionInfo } from "./cluster_view.ts";
import type { Step } from "./operator.ts";
import type { Proposal } from "./replica_checker.ts";
import type { ChoiceContext } from "./target_choice.ts";

/** The voters region 1 should have: `replicas`, capped by its members (at least one). */
export function wantedFirstRegionVoters(info: RegionInfo, replicas: number): number {
  return Math.max(1, Math.min(replicas, info.descriptor.replicas.length));
}

function promote(kind: Proposal["kind"], reason: string, up: number, down: number): Proposal {
  const steps: Step[] = [{ kind: "promote", promote: up, demote: down }];
  return { kind, reason, steps };
}

/** The next change of region 1's voters, if one is needed now. */
export function checkFirstRegion(
  ctx: ChoiceContext,
  info: RegionInfo,
  replicas: number,
): Proposal | undefined {
  const { view, nowMs } = ctx;
  const replicasOf = (role: "voter" | "learner") =>
    info.descriptor.replicas.filter((p) => p.role === role).map((p) => p.nodeId);
  const voters = replicasOf("voter"), learners = replicasOf("learner");
  const draining = (id: number) => view.node(id)?.draining === true;
  // Down as the replica checker judges it: past the replace timeout. Not "and unheard by region
  // 1's leader": a quiet region's Raft does not tick, so a dead voter stays "heard recently" in
  // its reports (the regions e2e test's node 3 did, and kept its vote for good).
  const bad = (id: number) => draining(id) || view.isDown(id, nowMs);
  const zone = (id: number) => view.node(id)?.zone ?? "";
  const goodVoters = voters.filter((id) => !bad(id));
  const covered = new Set(goodVoters.map(zone));
  // Under writes a learner is often a few entries behind when its leader reports: the region's
  // leader waits for it to catch up before promoting it (operator_step.ts), so a usable learner
  // may be chosen, one reported caught up first.
  const behind = (id: number) => Number(!info.caughtUp.includes(id));
  const ready = learners.filter((id) => view.isUsable(id, nowMs)).sort((a, b) =>
    behind(a) - behind(b) || Number(covered.has(zone(a))) - Number(covered.has(zone(b))) ||
    a - b
  );
  const wanted = wantedFirstRegionVoters(info, replicas);
  // Down nodes before draining ones, the leader last.
  const rank = (id: number) => (id === info.leader ? 2 : 0) + (draining(id) ? 1 : 0);
  const worst = voters.filter(bad).sort((a, b) => rank(a) - rank(b) || a - b)[0];
  const why = (id: number) => `region 1: node ${id} ${draining(id) ? "draining" : "down"}`;
  if (worst !== undefined && ready.length > 0 && voters.length <= wanted) {
    return promote("move", why(worst), ready[0], worst);
  }
  if (voters.length < wanted && ready.length > 0) {
    return promote("add", `region 1: ${voters.length} voters of ${wanted}`, ready[0], 0);
  }
  if (voters.length > wanted) {
    const spare = worst ?? surplus(voters, zone, info.leader);
    return promote("remove", `region 1: ${voters.length} voters of ${wanted}`, 0, spare);
  }
  if (worst !== undefined) return undefined;
  const shared = surplus(voters, zone, info.leader);
  const newZone = ready.find((id) => !covered.has(zone(id)));
  if (newZone !== undefined && voters.some((v) => v !== shared && zone(v) === zone(shared))) {
    return promote("move", `region 1: spread voters over zones`, newZone, shared);
  }
  return undefined;
}

/**
 * The voter region 1 can best spare: one whose zone another voter shares, else the highest id;
 * the leader only when no other voter is left to choose.
 */
function surplus(voters: readonly number[], zone: (id: number) => string, leader: number): number {
  const count = (z: string) => voters.filter((v) => zone(v) === z).length;
  const order = [...voters].sort((a, b) =>
    Number(a === leader) - Number(b === leader) ||
    count(zone(b)) - count(zone(a)) || b - a
  );
  return order[0];
}
