/**
 * Which membership change the placement group (region 0) needs next (docs/regions.md "The
 * placement group follows the cluster"). Pure: the placement leader feeds it region 0's
 * configuration as its Raft state holds it, the cluster's members (region 1's voters as
 * placement holds them), which nodes are usable (up and not draining) and its followers'
 * progress, and runs the one change it names.
 *
 * The group keeps `wanted` voters — PLACEMENT_VOTERS, or every member when the cluster has fewer
 * — all of them usable members. A voter that is not (removed from the cluster, down past the
 * replace timeout, draining) is **bad**. Members count whether usable or not: a member placement
 * has not heard from yet (a node that just joined) or one down is still a member, and shrinking
 * the group for it would not make it more available (the e2e run that removed two of the first
 * three nodes, with the two new ones not heard from yet, left region 0 on one voter). In order:
 *
 * 1. a learner that is not a usable member leaves;
 * 2. a caught-up learner (its log at the commit index, heard from, and its node no longer
 *    listing region 0 as catching up) is promoted, in one joint change with the removal of a
 *    bad voter when there is one (down nodes first, the leader last), or alone when the group is
 *    short of voters;
 * 3. a bad voter with no replacement to wait for leaves when the group has more voters than
 *    wanted (a smaller cluster: fewer voters);
 * 4. with no learner, a group with a bad voter or short of voters adds a learner: a usable
 *    member not in the group, in a zone its good voters do not cover first, then a voter of
 *    region 1 (the oracle follows region 1's leader only onto a region 0 voter: oracle_place.ts),
 *    then the lowest id;
 * 5. a learner nothing needs leaves.
 *
 * A change that would remove the leader itself is preceded by a leadership transfer to a
 * caught-up good voter (the new leader makes it; Raft steps a leader that applies its own
 * removal down, and the group would wait an election). A bad leader with nothing to change
 * (no replacement yet) keeps leading. Nothing while the configuration is joint (Raft leaves it
 * by itself) or while the cluster's members are unknown (region 1 not reported yet).
 */

/** Region 0's configuration as the leader's Raft state holds it. */
export interface GroupConf {
  readonly voters: readonly number[];
  readonly learners: readonly number[];
  /** Joint (old voters still counted): nothing is planned until Raft leaves it. */
  readonly joint: boolean;
}

export interface GroupPlanInput {
  /** The placement leader's node id. */
  readonly self: number;
  readonly conf: GroupConf;
  /** Region 1's voters and learners as placement holds them (undefined: not reported yet). */
  readonly members: readonly number[] | undefined;
  /** Region 1's voters: preferred when a learner is added (none given: no preference). */
  readonly firstRegionVoters?: readonly number[];
  /** Up (heard from within the replace timeout) and not draining. */
  readonly usable: (node: number) => boolean;
  readonly zone: (node: number) => string;
  /** Its log is at the leader's commit index and the leader heard from it recently. */
  readonly caughtUp: (node: number) => boolean;
  /** Its node lists region 0 as catching up (it may not vote yet). */
  readonly catchingUp: (node: number) => boolean;
  /** PLACEMENT_VOTERS. */
  readonly voters: number;
}

export type GroupAction =
  | { readonly kind: "add-learner"; readonly node: number; readonly reason: string }
  /** Promote `node`; remove `remove` in the same joint change (0: none). */
  | { readonly kind: "promote"; readonly node: number; readonly remove: number; reason: string }
  | { readonly kind: "remove"; readonly node: number; readonly reason: string }
  | { readonly kind: "transfer-leader"; readonly to: number; readonly reason: string };

/** The number of voters the group should have: PLACEMENT_VOTERS, capped by the members. */
export function wantedGroupVoters(x: GroupPlanInput): number {
  return Math.max(1, Math.min(x.voters, (x.members ?? []).length));
}

function why(x: GroupPlanInput, id: number): string {
  if (!(x.members ?? []).includes(id)) return `node ${id} is not a member of the cluster`;
  return `node ${id} is down or draining`;
}

/** The next change of region 0's configuration, if one is needed now. */
export function planGroup(x: GroupPlanInput): GroupAction | undefined {
  if (x.members === undefined || x.conf.joint) return undefined;
  const a = planChange(x);
  const removed = a?.kind === "remove" ? a.node : a?.kind === "promote" ? a.remove : 0;
  if (a === undefined || removed !== x.self) return a;
  const members = new Set(x.members);
  const to = x.conf.voters.find((id) =>
    id !== x.self && members.has(id) && x.usable(id) && x.caughtUp(id) && !x.catchingUp(id)
  );
  const reason = `${a.reason}: leadership first`;
  return to === undefined ? undefined : { kind: "transfer-leader", to, reason };
}

function planChange(x: GroupPlanInput): GroupAction | undefined {
  const members = new Set(x.members);
  const good = (id: number) => members.has(id) && x.usable(id);
  const ready = (id: number) => x.caughtUp(id) && !x.catchingUp(id);
  const { voters, learners } = x.conf;
  const bad = voters.filter((id) => !good(id));
  // Down nodes first (a removed member that still runs can vote meanwhile), the leader last.
  const rank = (id: number) => (id === x.self ? 2 : 0) + (x.usable(id) ? 1 : 0);
  bad.sort((a, b) => rank(a) - rank(b) || a - b);
  const wanted = wantedGroupVoters(x);
  const stale = learners.find((id) => !good(id));
  if (stale !== undefined) return { kind: "remove", node: stale, reason: why(x, stale) };
  const caught = learners.find(ready);
  const worst = bad[0];
  if (caught !== undefined && worst !== undefined) {
    return { kind: "promote", node: caught, remove: worst, reason: why(x, worst) };
  }
  if (caught !== undefined && voters.length < wanted) {
    return { kind: "promote", node: caught, remove: 0, reason: `${voters.length} voters` };
  }
  if (worst !== undefined && voters.length > wanted) {
    return { kind: "remove", node: worst, reason: why(x, worst) };
  }
  if (learners.length > 0) {
    if (worst !== undefined || voters.length < wanted) return undefined; // it is catching up
    const id = learners[0];
    return { kind: "remove", node: id, reason: `learner on node ${id} is not needed` };
  }
  if (worst === undefined && voters.length >= wanted) return undefined;
  const target = pickGroupTarget(x, voters.filter(good));
  if (target === undefined) return undefined;
  const reason = worst !== undefined ? why(x, worst) : `${voters.length} voters`;
  return { kind: "add-learner", node: target, reason };
}

/**
 * A usable member not in the group: an uncovered zone first, then a voter of region 1, then the
 * lowest id.
 */
function pickGroupTarget(x: GroupPlanInput, goodVoters: readonly number[]): number | undefined {
  const held = new Set([...x.conf.voters, ...x.conf.learners]);
  const covered = new Set(goodVoters.map((id) => x.zone(id)));
  const first = new Set(x.firstRegionVoters ?? []);
  const rank = (id: number) => (covered.has(x.zone(id)) ? 2 : 0) + (first.has(id) ? 0 : 1);
  const candidates = (x.members ?? []).filter((id) => !held.has(id) && x.usable(id));
  candidates.sort((a, b) => rank(a) - rank(b) || a - b);
  return candidates[0];
}
