/**
 * Balancing, once every region is healthy enough that the replica checker has
 * nothing to do for it (docs/decisions/0014-regions.md §7):
 *
 * - regions: move a replica from the usable node with the most replicas to the
 *   one with the fewest, when they differ by more than the tolerance, choosing
 *   a region whose zone spread the move keeps;
 * - leaders: hand a leadership from the node leading the most regions to a
 *   caught-up voter on the node leading the fewest, when they differ by more
 *   than one.
 *
 * Each call proposes at most one operator, so a tick moves the cluster a step
 * at a time and the loads it decides on stay close to true.
 */
import type { RegionInfo } from "./cluster_view.ts";
import { moveSteps } from "./operator.ts";
import type { Proposal } from "./replica_checker.ts";
import { type ChoiceContext, hasRoom, voterZones } from "./target_choice.ts";

function usableByLoad(ctx: ChoiceContext, load: (id: number) => number): number[] {
  return ctx.view.nodes()
    .map((n) => n.id)
    .filter((id) => ctx.view.isUsable(id, ctx.nowMs))
    .sort((a, b) => load(a) - load(b) || a - b);
}

function holds(info: RegionInfo, node: number): boolean {
  return info.descriptor.replicas.some((p) => p.nodeId === node);
}

export function balanceRegions(
  ctx: ChoiceContext,
  regions: readonly RegionInfo[],
  tolerance: number,
): { info: RegionInfo; proposal: Proposal } | undefined {
  const count = (id: number) => ctx.loads.get(id)?.replicas ?? 0;
  const order = usableByLoad(ctx, count);
  if (order.length < 2) return undefined;
  const target = order[0];
  if (!hasRoom(ctx, target)) return undefined;
  for (let i = order.length - 1; i > 0; i--) {
    const source = order[i];
    if (count(source) - count(target) <= tolerance) return undefined;
    if (!hasRoom(ctx, source)) continue;
    const zone = ctx.view.node(target)?.zone ?? "";
    const sourceZone = ctx.view.node(source)?.zone ?? "";
    for (const info of regions) {
      if (!holds(info, source) || holds(info, target)) continue;
      // Keep the spread: the target's zone is the source's, or one the others do not cover.
      if (zone !== sourceZone && voterZones(ctx, info, source).has(zone)) continue;
      const steps = moveSteps(info, source, target);
      return {
        info,
        proposal: { kind: "move", reason: `balance regions ${source} → ${target}`, steps },
      };
    }
  }
  return undefined;
}

export function balanceLeaders(
  ctx: ChoiceContext,
  regions: readonly RegionInfo[],
): { info: RegionInfo; proposal: Proposal } | undefined {
  const leaders = (id: number) => ctx.loads.get(id)?.leaders ?? 0;
  const order = usableByLoad(ctx, leaders);
  for (let i = order.length - 1; i > 0; i--) {
    const most = order[i];
    for (const fewest of order) {
      if (leaders(most) - leaders(fewest) <= 1) break;
      const info = regions.find((r) =>
        r.leader === most && r.caughtUp.includes(fewest) &&
        r.descriptor.replicas.some((p) => p.nodeId === fewest && p.role === "voter")
      );
      if (info === undefined) continue;
      const steps = [{ kind: "transfer-leader" as const, to: fewest }];
      return {
        info,
        proposal: { kind: "leader", reason: `balance leaders ${most} → ${fewest}`, steps },
      };
    }
  }
  return undefined;
}
