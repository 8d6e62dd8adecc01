/**
 * Where a new replica goes, and which replica leaves: the rules every
 * scheduler shares (docs/decisions/0014-regions.md §7).
 *
 * - A target is usable (up, not draining), holds no replica of the region, and
 *   has room under the per-node limit on moves in flight.
 * - Zones first: a node in a zone the region's remaining voters do not cover
 *   beats any node in a covered zone, so replicas spread over zones whenever
 *   there are enough zones.
 * - Then the fewest replicas, then the lowest fill (bytes over capacity), then
 *   the lowest id, so the choice is deterministic.
 */
import type { ClusterView, NodeLoad, RegionInfo } from "./cluster_view.ts";

export interface ChoiceContext {
  readonly view: ClusterView;
  readonly loads: Map<number, NodeLoad>;
  readonly nowMs: number;
  /** Node id → operators in flight that add or remove a replica there. */
  readonly busy: Map<number, number>;
  readonly maxMovesPerNode: number;
  /** Usable nodes (up, not draining), and how many zones they span: counted once per tick. */
  readonly usable: readonly number[];
  readonly usableZones: number;
}

/** The usable nodes and their zone count, for a ChoiceContext. */
export function usableNodes(
  view: ClusterView,
  nowMs: number,
): { usable: number[]; usableZones: number } {
  const usable: number[] = [];
  const zones = new Set<string>();
  for (const n of view.nodes()) {
    if (!view.isUsable(n.id, nowMs)) continue;
    usable.push(n.id);
    zones.add(n.zone);
  }
  return { usable, usableZones: zones.size };
}

/** Zones of the region's voters, leaving out `without` (the replica being replaced). */
export function voterZones(ctx: ChoiceContext, info: RegionInfo, without = 0): Set<string> {
  const zones = new Set<string>();
  for (const p of info.descriptor.replicas) {
    if (p.role !== "voter" || p.nodeId === without) continue;
    const n = ctx.view.node(p.nodeId);
    if (n !== undefined) zones.add(n.zone);
  }
  return zones;
}

function fill(ctx: ChoiceContext, id: number): number {
  const n = ctx.view.node(id);
  const bytes = ctx.loads.get(id)?.bytes ?? 0;
  return n === undefined || n.capacityBytes <= 0 ? bytes : bytes / n.capacityBytes;
}

/** Orders candidate targets best first (see the header). */
function better(ctx: ChoiceContext, covered: Set<string>, a: number, b: number): number {
  const za = covered.has(ctx.view.node(a)?.zone ?? "") ? 1 : 0;
  const zb = covered.has(ctx.view.node(b)?.zone ?? "") ? 1 : 0;
  if (za !== zb) return za - zb;
  const ra = ctx.loads.get(a)?.replicas ?? 0;
  const rb = ctx.loads.get(b)?.replicas ?? 0;
  if (ra !== rb) return ra - rb;
  const fa = fill(ctx, a);
  const fb = fill(ctx, b);
  if (fa !== fb) return fa - fb;
  return a - b;
}

export function hasRoom(ctx: ChoiceContext, id: number): boolean {
  return (ctx.busy.get(id) ?? 0) < ctx.maxMovesPerNode;
}

/** The best node for a new replica of the region (replacing `replacing`, or 0), if any. */
export function pickTarget(
  ctx: ChoiceContext,
  info: RegionInfo,
  replacing = 0,
): number | undefined {
  const holders = new Set(info.descriptor.replicas.map((p) => p.nodeId));
  const covered = voterZones(ctx, info, replacing);
  const candidates = ctx.usable.filter((id) => !holders.has(id) && hasRoom(ctx, id));
  candidates.sort((a, b) => better(ctx, covered, a, b));
  return candidates[0];
}

/**
 * The voter to drop when the region has too many: one in the most crowded
 * zone, then the most loaded node, never the leader while another voter can
 * go, ties to the highest id.
 */
export function pickSurplus(ctx: ChoiceContext, info: RegionInfo): number | undefined {
  const voters = info.descriptor.replicas.filter((p) => p.role === "voter").map((p) => p.nodeId);
  const perZone = new Map<string, number>();
  for (const id of voters) {
    const z = ctx.view.node(id)?.zone ?? "";
    perZone.set(z, (perZone.get(z) ?? 0) + 1);
  }
  const score = (id: number): number[] => [
    id === info.leader ? 0 : 1,
    perZone.get(ctx.view.node(id)?.zone ?? "") ?? 0,
    ctx.loads.get(id)?.replicas ?? 0,
    id,
  ];
  const worse = (a: number, b: number) => {
    const sa = score(a);
    const sb = score(b);
    for (let i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) return sb[i] - sa[i];
    return 0;
  };
  return voters.filter((id) => hasRoom(ctx, id)).sort(worse)[0];
}

/** The usable nodes, least loaded first (ties by id). */
export function usableByLoad(ctx: ChoiceContext, load: (id: number) => number): number[] {
  return [...ctx.usable].sort((a, b) => load(a) - load(b) || a - b);
}

/** How many of the most loaded nodes one call considers as sources (bounds its cost). */
export const SOURCES_TRIED = 8;

/** Regions by a node of theirs (`pick` names the nodes), built once per call. */
export function indexBy(
  regions: readonly RegionInfo[],
  pick: (r: RegionInfo) => Iterable<number>,
): Map<number, RegionInfo[]> {
  const out = new Map<number, RegionInfo[]>();
  for (const r of regions) {
    for (const id of pick(r)) {
      const list = out.get(id);
      if (list === undefined) out.set(id, [r]);
      else list.push(r);
    }
  }
  return out;
}
