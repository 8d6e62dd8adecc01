/**
 * Replicas nothing else cleans up (docs/regions.md "Operators executed"): one removed from its
 * region without applying the removal (a crash lost it, or a partition), whose region then merged
 * away. It hears from no leader, does not know it was left out (left_out.ts needs the removal
 * applied), and placement sends no tombstone for a region it no longer knows (operator_orders.ts).
 * As TiKV's stale-peer check: a replica that may be stale without knowing it (`unsure`) for
 * `quietMs` asks placement for the region at its start key, and is dropped when a newer region
 * that is not its own holds that key and does not list this node (the simulator's merges seed 32,
 * under a schedule a reverted change made). One question in flight at a time, each replica asked
 * at most once per `quietMs`.
 */
import { containsKey, type RegionDescriptor } from "../../region/descriptor.ts";
import type { Clock } from "../../platform/types.ts";
import type { HostedRegion } from "./hosted_region.ts";

export interface StaleReplicaDeps {
  readonly regions: () => readonly HostedRegion[];
  readonly selfId: number;
  /** The region placement holds at `key` (a member's copy, else the leader's); undefined: none. */
  readonly route: (key: Uint8Array) => Promise<RegionDescriptor | undefined>;
  readonly removeReplica: (id: number, why: string) => void;
  readonly clock: Clock;
  /** How long a replica knows no leader before placement is asked about it. */
  readonly quietMs: number;
  /** Asks for a placement heartbeat soon (its answer brings tombstones). */
  readonly reportSoon?: () => void;
}

/**
 * Whether placement's region at replica `d`'s start key proves `d` stale: another region, with a
 * higher epoch version, holds the key and does not list `self`. Regions never overlap while both
 * live, and a region's version only grows (a split or a merge), so a newer region over `d`'s start
 * means `d`'s range was merged or split into others since; a lagging copy of placement's state
 * only knows older regions, which never pass the version test. A region listing `self` is left
 * alone: a merge target whose replica here still has to apply the commit reads the source here.
 */
export function supersededBy(
  d: RegionDescriptor,
  route: RegionDescriptor | undefined,
  self: number,
): boolean {
  if (route === undefined || route.id === d.id) return false;
  if (route.epoch.version <= d.epoch.version) return false;
  return containsKey(route, d.start) && !route.replicas.some((p) => p.nodeId === self);
}

/** Whether placement's `route` is region `d` itself at a later configuration without `self`. */
export function removedFrom(d: RegionDescriptor, route: RegionDescriptor, self: number): boolean {
  return route.id === d.id && route.epoch.confVer > d.epoch.confVer &&
    !route.replicas.some((p) => p.nodeId === self);
}

/**
 * Whether replica `r` on node `self` cannot tell by itself that it still belongs: it knows no
 * leader; or it is a learner, which never campaigns and so keeps naming the last leader it heard
 * of; or it is a merge source prepared here, whose commit only its target's replica here would
 * apply. A learner of both halves of a merge whose target then removed it was left behind that
 * way, forever (the merge test on real nodes, session 27). Asking about a live one is harmless:
 * placement's region at its start key is its own.
 */
export function unsure(r: HostedRegion, self: number): boolean {
  if (r.group.rawNode.lead === 0 || r.kv.merge?.stage === "prepared") return true;
  return !r.kv.descriptor.replicas.some((p) => p.nodeId === self && p.role === "voter");
}

export class StaleReplicas {
  /** Per replica `unsure` of itself: since when (or since it was last asked about). */
  readonly #unsure = new Map<number, number>();
  #asking = false;
  /** Replicas dropped as stale (metrics and tests). */
  dropped = 0;

  constructor(readonly d: StaleReplicaDeps) {}

  /** One pass: notes the replicas `unsure` of themselves, asks about one that has been so long. */
  review(): void {
    const now = this.d.clock.nowMs();
    const hosted = new Set<number>();
    let due: HostedRegion | undefined;
    for (const r of this.d.regions()) {
      if (r.id <= 1) continue; // regions 0 and 1 are on every member: never stale this way
      hosted.add(r.id);
      if (!unsure(r, this.d.selfId)) {
        this.#unsure.delete(r.id);
        continue;
      }
      const since = this.#unsure.get(r.id);
      if (since === undefined) this.#unsure.set(r.id, now);
      else if (due === undefined && now - since >= this.d.quietMs) due = r;
    }
    for (const id of this.#unsure.keys()) if (!hosted.has(id)) this.#unsure.delete(id);
    if (due !== undefined && !this.#asking) void this.#ask(due);
  }

  async #ask(r: HostedRegion): Promise<void> {
    this.#asking = true;
    const d = r.kv.descriptor;
    try {
      const route = await this.d.route(d.start);
      this.#unsure.set(r.id, this.d.clock.nowMs()); // asked: not again for quietMs
      // The replica may have heard from a leader, or changed, while placement answered.
      if (r.kv.descriptor !== d || !unsure(r, this.d.selfId)) return;
      if (route !== undefined && removedFrom(d, route, this.d.selfId)) {
        // Its own region without it: placement's tombstone drops it once every voter of that
        // configuration reported it, with the answer to a heartbeat; one is asked for now, not
        // a heartbeat interval later (a placement leader new since the removal knew nothing).
        this.d.reportSoon?.();
        return;
      }
      if (route === undefined || !supersededBy(d, route, this.d.selfId)) return;
      this.dropped++;
      this.d.removeReplica(
        r.id,
        `stale: region ${route.id} (version ${route.epoch.version}) holds its start key`,
      );
    } catch {
      this.#unsure.set(r.id, this.d.clock.nowMs()); // placement did not answer: later
    } finally {
      this.#asking = false;
    }
  }
}
