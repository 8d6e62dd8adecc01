/**
 * The merge checker (docs/regions.md "Merge", "Who plans a merge"): nodes merge two adjacent
 * small regions only when both have the same replicas (region_merge_check.ts), and once placement
 * has moved replicas around, neighbours rarely do. So, with merge on, the placement leader finds
 * adjacent regions small enough to merge whose replicas differ and moves the smaller region's
 * replicas onto its neighbour's nodes, one replica per operator (add-learner → promote and demote
 * → remove, so the region never has fewer voters than it had); the nodes merge the pair once
 * their replicas match.
 *
 * It yields to everything that repairs a region: both regions must be settled (the wanted number
 * of voters, no learner, every replica on a usable node, spread over zones), so a dead or
 * draining replica is the replica checker's first, and it runs after the replica checker in a
 * tick, with at most PLACEMENT_MERGE_ALIGNS_MAX of its moves in flight.
 */
import type { ClusterView, RegionInfo } from "./cluster_view.ts";
import { moveSteps, type Operator } from "./operator.ts";
import type { Proposal } from "./replica_checker.ts";
import { wantedVoters } from "./replica_checker.ts";
import { type ChoiceContext, hasRoom, voterZones } from "./target_choice.ts";
import { equalBytes } from "../util/bytes.ts";

export interface MergeLimits {
  /** Two neighbours whose reported sizes add up to at most this merge (0: merge is off). */
  readonly mergeBytes: number;
  readonly replicas: number;
  /** Pairs looked at per call, so a call's cost is bounded however many regions there are. */
  readonly pairsChecked: number;
  /** The nodes' `--region-split-load` (0 or absent: off): a region this hot is not merged. */
  readonly splitLoad?: number;
}

/** A move planned by the checker, for the region `info`. */
export interface MergeAlign {
  readonly info: RegionInfo;
  readonly proposal: Proposal;
}

function voterSet(info: RegionInfo): Set<number> {
  return new Set(
    info.descriptor.replicas.filter((p) => p.role === "voter").map((p) => p.nodeId),
  );
}

/** Same nodes in the same roles: the nodes' own condition for merging a pair. */
export function sameReplicas(a: RegionInfo, b: RegionInfo): boolean {
  const ra = a.descriptor.replicas, rb = b.descriptor.replicas;
  return ra.length === rb.length &&
    ra.every((p) => rb.some((q) => q.nodeId === p.nodeId && q.role === p.role));
}

/** The regions in key order, as placement's map has them (regions not reported are gaps). */
export function inKeyOrder(view: ClusterView): RegionInfo[] {
  const out: RegionInfo[] = [];
  for (const d of view.map.all()) {
    const info = view.region(d.id);
    if (info !== undefined) out.push(info);
  }
  return out;
}

function adjacent(left: RegionInfo, right: RegionInfo): boolean {
  const end = left.descriptor.end;
  return end.length > 0 && equalBytes(end, right.descriptor.start);
}

/** Both neighbours small enough that the nodes would merge them (by their reported sizes). */
function small(left: RegionInfo, right: RegionInfo, mergeBytes: number): boolean {
  return left.sizeBytes + right.sizeBytes <= mergeBytes;
}

/**
 * Written at a quarter of `--region-split-load` or more, as its leader reports (writes a second):
 * its node's merge check leaves it (region_load.ts `busy`), so the pair is not about to merge,
 * and the balance may move its leadership — the point of a split by load.
 */
function hot(info: RegionInfo, splitLoad: number): boolean {
  return splitLoad > 0 && info.writesPerSec * 4 >= splitLoad;
}

/** Nothing for the replica checker to do: wanted voters, no learner, usable, spread. */
function settled(ctx: ChoiceContext, info: RegionInfo, wanted: number): boolean {
  const replicas = info.descriptor.replicas;
  if (replicas.some((p) => p.role !== "voter") || replicas.length !== wanted) return false;
  if (replicas.some((p) => !ctx.view.isUsable(p.nodeId, ctx.nowMs))) return false;
  return voterZones(ctx, info).size >= Math.min(wanted, ctx.usableZones);
}

/**
 * Regions the nodes are about to merge: adjacent pairs with the same replicas, small enough, and
 * neither hot (`splitLoad`). Balance leaves them alone (a move or a leadership transfer would
 * undo what the nodes wait for), and the checker does not pull one of them into another pair.
 */
export function mergingOnNodes(
  ordered: readonly RegionInfo[],
  mergeBytes: number,
  splitLoad = 0,
): Set<number> {
  const out = new Set<number>();
  if (mergeBytes <= 0) return out;
  for (let i = 0; i + 1 < ordered.length; i++) {
    const left = ordered[i], right = ordered[i + 1];
    if (!adjacent(left, right) || !small(left, right, mergeBytes)) continue;
    if (!sameReplicas(left, right) || hot(left, splitLoad) || hot(right, splitLoad)) continue;
    out.add(left.descriptor.id);
    out.add(right.descriptor.id);
  }
  return out;
}

/**
 * The move that takes `mover` one replica closer to `keeper`'s nodes: a voter of the mover the
 * keeper lacks goes to a node of the keeper the mover lacks, with room for a move on both, and
 * the mover's zone spread kept (a node in the same zone first). Undefined when none fits now.
 */
function alignStep(
  ctx: ChoiceContext,
  mover: RegionInfo,
  keeper: RegionInfo,
  wanted: number,
): Proposal | undefined {
  const has = voterSet(mover), wants = voterSet(keeper);
  const zone = (id: number) => ctx.view.node(id)?.zone ?? "";
  const spread = Math.min(wanted, ctx.usableZones);
  let best: { from: number; to: number; sameZone: boolean } | undefined;
  for (const from of [...has].sort((a, b) => a - b)) {
    if (wants.has(from) || !hasRoom(ctx, from)) continue;
    const kept = voterZones(ctx, mover, from);
    for (const to of [...wants].sort((a, b) => a - b)) {
      if (has.has(to) || !hasRoom(ctx, to)) continue;
      if (new Set([...kept, zone(to)]).size < spread) continue;
      const sameZone = zone(from) === zone(to);
      if (best === undefined || (sameZone && !best.sameZone)) best = { from, to, sameZone };
    }
  }
  if (best === undefined) return undefined;
  const k = keeper.descriptor;
  return {
    kind: "move",
    reason: `align with region ${k.id} to merge`,
    steps: moveSteps(mover, best.from, best.to),
    partner: { regionId: k.id, version: k.epoch.version, confVer: k.epoch.confVer },
  };
}

/**
 * Alignment moves for adjacent small pairs with different replicas, at most `room` of them,
 * over at most `pairsChecked` pairs starting at `cursor` (returned for the next call). `free`
 * says a region may get an operator (none in flight, not pinned).
 */
export function checkMerges(
  ctx: ChoiceContext,
  ordered: readonly RegionInfo[],
  limits: MergeLimits,
  free: (id: number) => boolean,
  start: { cursor: number; room: number },
): { aligns: MergeAlign[]; cursor: number } {
  const aligns: MergeAlign[] = [];
  const pairs = ordered.length - 1;
  if (limits.mergeBytes <= 0 || pairs < 1 || start.room <= 0) return { aligns, cursor: 0 };
  const wanted = wantedVoters(ctx, limits.replicas);
  const splitLoad = limits.splitLoad ?? 0;
  const merging = mergingOnNodes(ordered, limits.mergeBytes, splitLoad);
  const claimed = new Set<number>();
  let cursor = start.cursor % pairs;
  const n = Math.min(pairs, limits.pairsChecked);
  for (let i = 0; i < n && aligns.length < start.room; i++) {
    const left = ordered[cursor], right = ordered[cursor + 1];
    cursor = (cursor + 1) % pairs;
    const ids = [left.descriptor.id, right.descriptor.id];
    if (ids.some((id) => id === 0 || !free(id) || merging.has(id) || claimed.has(id))) continue;
    if (!adjacent(left, right) || !small(left, right, limits.mergeBytes)) continue;
    if (hot(left, splitLoad) || hot(right, splitLoad)) continue;
    if (!settled(ctx, left, wanted) || !settled(ctx, right, wanted)) continue;
    // The smaller moves (less to copy); on a tie the right one, the merge's source.
    const [mover, keeper] = left.sizeBytes < right.sizeBytes ? [left, right] : [right, left];
    const proposal = alignStep(ctx, mover, keeper, wanted);
    if (proposal === undefined) continue;
    aligns.push({ info: mover, proposal });
    for (const id of ids) claimed.add(id);
  }
  return { aligns, cursor };
}

/**
 * A merge alignment made for epochs that are gone: its region split or merged since (its range
 * version moved), or its neighbour is gone or changed in any way (its replicas may differ now).
 */
export function partnerMoved(op: Operator, view: ClusterView): boolean {
  if (op.partner === undefined) return false;
  const own = view.region(op.regionId);
  if (own === undefined || own.descriptor.epoch.version !== op.version) return true;
  const p = view.region(op.partner.regionId)?.descriptor.epoch;
  return p === undefined || p.version !== op.partner.version || p.confVer !== op.partner.confVer;
}
