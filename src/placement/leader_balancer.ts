/**
 * Leader balance (docs/decisions/0014-regions.md §7; docs/regions.md "Leader balance"): a region's
 * leader serves its reads and writes, so the number of regions each node leads is its share of
 * the work. The balance hands a leadership from a node leading the most regions to a caught-up
 * voter of that region leading the fewest, as a `transfer-leader` operator the region's leader
 * runs (a Raft leadership transfer).
 *
 * No flapping: a transfer is made only when the source leads more than `tolerance` (at least 1)
 * regions more than the target, so every transfer strictly narrows the gap between the two and
 * the sum of squared leader counts falls; the counts the choice uses include the transfers
 * already in flight (the scheduler counts them), so a pass does not pile more onto a node than
 * the gap warrants. A leader lost to an election is no transfer: the next pass sees the new
 * counts.
 *
 * Zones: a leader moves only between voters of its region, so the region's zone spread is the
 * replica placement's (target_choice.ts); the balance counts leaders per node, not per zone.
 *
 * Bounded: at most `perTick` transfers per call and `perNode` in flight from or to one node.
 */
import type { RegionInfo } from "./cluster_view.ts";
import type { Proposal } from "./replica_checker.ts";
import { type ChoiceContext, indexBy, SOURCES_TRIED } from "./target_choice.ts";

export interface LeaderBalanceLimits {
  /** Leaders per node may differ by this much (raised to 1 when lower). */
  readonly tolerance: number;
  /** Transfers one call proposes at most. */
  readonly perTick: number;
  /** Transfers in flight from or to one node at most. */
  readonly perNode: number;
}

export interface LeaderMove {
  readonly info: RegionInfo;
  readonly proposal: Proposal;
}

/** The best target for region `info` led by `from`: a usable, caught-up voter leading fewest. */
function target(
  info: RegionInfo,
  from: number,
  usable: ReadonlySet<number>,
  leaders: (id: number) => number,
  free: (id: number) => boolean,
): number {
  let best = 0;
  for (const p of info.descriptor.replicas) {
    const id = p.nodeId;
    if (p.role !== "voter" || id === from || !usable.has(id) || !free(id)) continue;
    if (!info.caughtUp.includes(id)) continue;
    if (best === 0 || leaders(id) < leaders(best) || (leaders(id) === leaders(best) && id < best)) {
      best = id;
    }
  }
  return best;
}

/**
 * Up to `limits.perTick` transfers over `regions` (those without an operator). `transfers` maps a
 * node to the transfers in flight from or to it; it and `ctx.loads` are updated as moves are
 * chosen, so each choice sees the ones before it.
 */
export function balanceLeaders(
  ctx: ChoiceContext,
  regions: readonly RegionInfo[],
  limits: LeaderBalanceLimits,
  transfers: Map<number, number>,
): LeaderMove[] {
  const tolerance = Math.max(1, limits.tolerance);
  const leaders = (id: number) => ctx.loads.get(id)?.leaders ?? 0;
  const free = (id: number) => (transfers.get(id) ?? 0) < limits.perNode;
  const usable = new Set(ctx.usable);
  const byLeader = indexBy(regions, (r) => [r.leader]);
  const out: LeaderMove[] = [];
  while (out.length < limits.perTick) {
    const move = choose();
    if (move === undefined) break;
    out.push(move);
  }
  return out;

  function choose(): LeaderMove | undefined {
    const order = [...usable].sort((a, b) => leaders(b) - leaders(a) || a - b);
    for (const from of order.slice(0, SOURCES_TRIED)) {
      if (!free(from)) continue;
      const led = byLeader.get(from) ?? [];
      for (let i = 0; i < led.length; i++) {
        const info = led[i];
        const to = target(info, from, usable, leaders, free);
        if (to === 0 || leaders(from) - leaders(to) <= tolerance) continue;
        led.splice(i, 1); // one operator per region
        shift(from, to);
        const steps = [{ kind: "transfer-leader" as const, to }];
        return {
          info,
          proposal: { kind: "leader", reason: `balance leaders ${from} → ${to}`, steps },
        };
      }
    }
    return undefined;
  }

  function shift(from: number, to: number): void {
    const f = ctx.loads.get(from);
    const t = ctx.loads.get(to);
    if (f !== undefined) f.leaders--;
    if (t !== undefined) t.leaders++;
    transfers.set(from, (transfers.get(from) ?? 0) + 1);
    transfers.set(to, (transfers.get(to) ?? 0) + 1);
  }
}
