/**
 * The replica checker: what one region needs so that it has `replicas` voters,
 * all on usable nodes, spread over as many zones as there are
 * (docs/decisions/0014-regions.md §7). In order of urgency:
 *
 * 1. a learner left behind by an interrupted move: promote it if the region is
 *    short of voters; else finish the move (promote it, demote the voter the
 *    region can best spare) unless the learner's is that place; else remove it;
 * 2. a voter on a down node (past the replace timeout) or a draining node:
 *    move it to the best target (a down voter with no target stays: it may
 *    come back, and removing it would not make the region more available);
 * 3. too few voters: add one; too many: remove the surplus;
 * 4. voters bunched in a zone while another zone has room: move one there.
 */
import type { RegionInfo } from "./cluster_view.ts";
import type { Replica } from "../region/descriptor.ts";
import { moveSteps, type OperatorKind, type Partner, removeSteps, type Step } from "./operator.ts";
import { type ChoiceContext, pickSurplus, pickTarget, voterZones } from "./target_choice.ts";

export interface Proposal {
  readonly kind: OperatorKind;
  readonly reason: string;
  readonly steps: readonly Step[];
  /** A merge alignment's neighbour (merge_checker.ts). */
  readonly partner?: Partner;
}

function voters(info: RegionInfo): number[] {
  return info.descriptor.replicas.filter((p) => p.role === "voter").map((p) => p.nodeId);
}

/** The number of voters a region should have: the setting, capped by the usable nodes. */
export function wantedVoters(ctx: ChoiceContext, replicas: number): number {
  return Math.max(1, Math.min(replicas, ctx.usable.length));
}

function fixLearner(ctx: ChoiceContext, info: RegionInfo, wanted: number): Proposal | undefined {
  const learner = info.descriptor.replicas.find((p) => p.role === "learner");
  if (learner === undefined) return undefined;
  const id = learner.nodeId;
  const usable = ctx.view.isUsable(id, ctx.nowMs);
  if (voters(info).length < wanted && usable) {
    const steps: Step[] = [{ kind: "promote", promote: id, demote: 0 }];
    return { kind: "add", reason: `promote learner on node ${id}`, steps };
  }
  // Most often a move whose operator was lost with the placement leader that made it: every new
  // leader starts with none. Removing the learner undid the move, and the balance started it
  // again (the 1M-key e2e: 143 learners removed so, placement's leadership moving under load).
  const asVoter = info.descriptor.replicas.map((p): Replica =>
    p.nodeId === id ? { nodeId: id, role: "voter" } : p
  );
  const worst = usable
    ? pickSurplus(ctx, { ...info, descriptor: { ...info.descriptor, replicas: asVoter } })
    : undefined;
  if (worst !== undefined && worst !== id) {
    const steps = moveSteps(info, worst, id);
    return { kind: "move", reason: `finish the move to node ${id} (its learner)`, steps };
  }
  return {
    kind: "remove",
    reason: `remove learner on node ${id}`,
    steps: [{ kind: "remove", node: id }],
  };
}

function replaceBad(ctx: ChoiceContext, info: RegionInfo, wanted: number): Proposal | undefined {
  for (const id of voters(info)) {
    const down = ctx.view.isDown(id, ctx.nowMs);
    const draining = ctx.view.node(id)?.draining === true;
    if (!down && !draining) continue;
    const why = down ? `node ${id} down` : `node ${id} draining`;
    const target = pickTarget(ctx, info, id);
    if (target !== undefined) {
      return { kind: "move", reason: why, steps: moveSteps(info, id, target) };
    }
    // No target: a draining voter the region can spare leaves anyway; a down one stays.
    if (!draining || voters(info).length <= wanted) continue;
    const steps = removeSteps(info, id);
    if (steps !== undefined) return { kind: "remove", reason: why, steps };
  }
  return undefined;
}

function fixCount(ctx: ChoiceContext, info: RegionInfo, wanted: number): Proposal | undefined {
  const n = voters(info).length;
  if (n < wanted) {
    const target = pickTarget(ctx, info);
    if (target === undefined) return undefined;
    const steps: Step[] = [
      { kind: "add-learner", node: target },
      { kind: "promote", promote: target, demote: 0 },
    ];
    return { kind: "add", reason: `${n} of ${wanted} replicas`, steps };
  }
  const bad = voters(info).some((id) => !ctx.view.isUsable(id, ctx.nowMs));
  if (n > wanted && !bad) {
    const surplus = pickSurplus(ctx, info);
    if (surplus === undefined) return undefined;
    const steps = removeSteps(info, surplus);
    if (steps === undefined) return undefined;
    return { kind: "remove", reason: `${n} of ${wanted} replicas`, steps };
  }
  return undefined;
}

function spreadZones(ctx: ChoiceContext, info: RegionInfo, wanted: number): Proposal | undefined {
  const zones = voterZones(ctx, info);
  if (zones.size >= Math.min(wanted, ctx.usableZones)) return undefined;
  const seen = new Set<string>();
  for (const id of voters(info)) {
    const zone = ctx.view.node(id)?.zone ?? "";
    if (!seen.has(zone)) {
      seen.add(zone);
      continue;
    }
    const target = pickTarget(ctx, info, id);
    if (target === undefined) return undefined;
    if (voterZones(ctx, info, id).has(ctx.view.node(target)?.zone ?? "")) return undefined;
    return { kind: "move", reason: `spread over zones`, steps: moveSteps(info, id, target) };
  }
  return undefined;
}

/** What the region needs, most urgent first, or undefined when it is healthy. */
export function checkReplicas(
  ctx: ChoiceContext,
  info: RegionInfo,
  replicas: number,
): Proposal | undefined {
  const wanted = wantedVoters(ctx, replicas);
  return fixLearner(ctx, info, wanted) ?? replaceBad(ctx, info, wanted) ??
    fixCount(ctx, info, wanted) ?? spreadZones(ctx, info, wanted);
}
