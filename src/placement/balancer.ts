/**
 * Balancing, once every region is healthy enough that the replica checker has
 * nothing to do for it (docs/decisions/0014-regions.md §7):
 *
 * move a replica from the usable node with the most replicas to the one with
 * the fewest, when they differ by more than the tolerance, choosing a region
 * whose zone spread the move keeps. Leaders: leader_balancer.ts.
 *
 * Each call proposes at most one operator, so a tick moves the cluster a step
 * at a time and the loads it decides on stay close to true.
 */
import type { RegionInfo } from "./cluster_view.ts";
import { moveSteps } from "./operator.ts";
import type { Proposal } from "./replica_checker.ts";
import {
  type ChoiceContext,
  hasRoom,
  indexBy,
  SOURCES_TRIED,
  usableByLoad,
  voterZones,
} from "./target_choice.ts";

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
  const zone = ctx.view.node(target)?.zone ?? "";
  const byHolder = indexBy(regions, (r) => r.descriptor.replicas.map((p) => p.nodeId));
  const last = Math.max(1, order.length - SOURCES_TRIED);
  for (let i = order.length - 1; i >= last; i--) {
    const source = order[i];
    if (count(source) - count(target) <= tolerance) return undefined;
    if (!hasRoom(ctx, source)) continue;
    const sourceZone = ctx.view.node(source)?.zone ?? "";
    for (const info of byHolder.get(source) ?? []) {
      if (holds(info, target)) continue;
      // Keep the spread: the target's zone is the source's, or one the others do not cover.
      if (zone !== sourceZone && voterZones(ctx, info, source).has(zone)) continue;
      const steps = moveSteps(info, source, target);
      const reason = `balance regions ${source} → ${target}`;
      return { info, proposal: { kind: "move", reason, steps } };
    }
  }
  return undefined;
}
