/**
 * The client's route cache (docs/regions.md#routing): the regions it has learned, kept in a
 * RegionMap (src/region/region_map.ts), which takes a descriptor only when its epoch is not
 * older than what it overlaps. Filled from `Regions` answers when a key or range is not covered,
 * and corrected by the descriptors stale-route errors carry; leader hints from NOT_LEADER are
 * kept per region until the region's descriptor is replaced.
 *
 * A node that does not answer `Regions` (INVALID_ARGUMENT, another answer, or no region at all:
 * an older node or a test's stand-in) makes the cache `unrouted` for CLIENT_UNROUTED_RECHECK_MS:
 * requests then go out as without routing (the node forwards what it does not lead).
 */
import {
  CLIENT_ROUTE_CACHE_REGIONS_MAX,
  CLIENT_UNROUTED_RECHECK_MS,
  REGIONS_RESPONSE_MAX,
} from "../limits_ops.ts";
import type { RegionDescriptor } from "../region/descriptor.ts";
import { compareEnd } from "../region/descriptor.ts";
import { type KeySpan, keySpan } from "../region/region_catalog.ts";
import { RegionMap } from "../region/region_map.ts";
import { compareBytes } from "../util/bytes.ts";
import { TinyKvError } from "./errors.ts";
import type { RegionEntry } from "./region_wire.ts";

/** One `Regions` request: the regions overlapping `[start, end)` in key order. */
export type RegionsFetcher = (
  start: Uint8Array,
  end: Uint8Array,
) => Promise<{ regions: readonly RegionEntry[]; more: boolean }>;

export class RouteCache {
  readonly #map = new RegionMap();
  /** The entry of each descriptor the map holds (the map stores the entries themselves). */
  readonly #entries = new WeakMap<RegionDescriptor, RegionEntry>();
  /** Leader addresses learned from NOT_LEADER hints, by region id. */
  readonly #leaderHints = new Map<number, string>();
  /** Every node address the cache has seen, by node id. */
  readonly #addresses = new Map<number, string>();
  /** `Regions` requests sent (tests and diagnostics). */
  refreshes = 0;
  /** Until when (the clock's ms) requests go unrouted: the nodes did not answer `Regions`. */
  #unroutedUntil = -1;

  /** Pages one refresh may ask for (REGIONS_RESPONSE_MAX regions each). */
  readonly #refreshPagesMax: number;

  /** `maxRegions`: the most regions kept; past it the cache starts over (tests lower it). */
  constructor(
    readonly fetchRegions: RegionsFetcher,
    readonly maxRegions = CLIENT_ROUTE_CACHE_REGIONS_MAX,
    readonly nowMs: () => number = () => 0,
  ) {
    this.#refreshPagesMax = Math.max(1, Math.ceil(maxRegions / REGIONS_RESPONSE_MAX));
  }

  /** True while the nodes are known not to answer `Regions`: send requests unrouted. */
  get unrouted(): boolean {
    return this.#unroutedUntil >= 0 && this.nowMs() < this.#unroutedUntil;
  }

  get size(): number {
    return this.#map.size;
  }

  lookup(key: Uint8Array): RegionEntry | undefined {
    const d = this.#map.lookup(key);
    return d === undefined ? undefined : this.#entries.get(d);
  }

  /** The region holding `key`, asking the cluster when the cache does not know it. */
  async locate(key: Uint8Array): Promise<RegionEntry> {
    const known = this.lookup(key);
    if (known !== undefined) return known;
    await this.refresh(keySpan(key));
    const found = this.lookup(key);
    if (found !== undefined) return found;
    throw unknownRoute("the key");
  }

  /** The regions covering `span`, in key order, asking the cluster for what is not cached. */
  async cover(span: KeySpan): Promise<RegionEntry[]> {
    let regions = this.#known(span);
    if (!covers(regions, span)) {
      await this.refresh(span);
      regions = this.#known(span);
    }
    if (!covers(regions, span)) throw unknownRoute("part of the range");
    return regions;
  }

  /** Asks the cluster for the regions overlapping `span` and learns them. */
  async refresh(span: KeySpan): Promise<void> {
    let start = span.start;
    for (let page = 0; page < this.#refreshPagesMax; page++) {
      this.refreshes++;
      let answer;
      try {
        answer = await this.fetchRegions(start, span.end);
      } catch (err) {
        if (err instanceof TinyKvError && err.code === "INVALID_ARGUMENT") this.#unrouted();
        throw err;
      }
      const { regions, more } = answer;
      if (regions.length === 0 && this.size === 0) return this.#unrouted();
      this.#unroutedUntil = -1;
      this.learn(regions, true);
      const last = regions[regions.length - 1];
      if (!more || last === undefined || last.end.length === 0) return;
      if (compareEnd(span.end, last.end) <= 0) return;
      start = last.end;
    }
  }

  /**
   * Takes descriptors in. `fromNode`: a node's answer (Regions, a stale-route error), the truth
   * for a region at the same version even with a lower conf version (a node's descriptor can lag
   * a membership change another node already applied).
   */
  learn(regions: readonly RegionEntry[], fromNode: boolean): void {
    for (const r of regions) {
      const held = this.#map.byId(r.id);
      if (fromNode && held !== undefined && held.epoch.version === r.epoch.version) {
        this.#map.remove(r.id);
      }
      if (this.#map.size >= this.maxRegions) this.clear();
      try {
        if (!this.#map.update(r)) continue;
      } catch {
        continue; // a malformed descriptor: left out, the next refresh asks again
      }
      this.#entries.set(r, r);
      this.#leaderHints.delete(r.id);
      for (const p of r.replicas) if (p.address !== "") this.#addresses.set(p.nodeId, p.address);
    }
  }

  /** The address to send a region's requests to: its leader's, or undefined when unknown. */
  leaderAddress(r: RegionEntry): string | undefined {
    const hint = this.#leaderHints.get(r.id);
    if (hint !== undefined) return hint;
    if (r.leaderId === 0) return undefined;
    const own = r.replicas.find((p) => p.nodeId === r.leaderId)?.address;
    return own || this.#addresses.get(r.leaderId);
  }

  noteLeader(regionId: number, address: string): void {
    if (this.#map.byId(regionId) !== undefined) this.#leaderHints.set(regionId, address);
  }

  #unrouted(): void {
    this.#unroutedUntil = this.nowMs() + CLIENT_UNROUTED_RECHECK_MS;
  }

  /** Drops a region (its next request asks the cluster again). */
  forget(regionId: number): void {
    this.#map.remove(regionId);
    this.#leaderHints.delete(regionId);
  }

  clear(): void {
    this.#map.clear();
    this.#leaderHints.clear();
  }

  /** Every cached region, in key order. */
  all(): RegionEntry[] {
    return this.#map.all().flatMap((d) => this.#entries.get(d) ?? []);
  }

  #known(span: KeySpan): RegionEntry[] {
    return this.#map.overlapping(span.start, span.end).flatMap((d) => this.#entries.get(d) ?? []);
  }
}

/**
 * The node asked knows no region for what is wanted (a node outside its configuration, one
 * still joining): UNAVAILABLE, so the client backs off and asks another endpoint.
 */
function unknownRoute(what: string): TinyKvError {
  return new TinyKvError("UNAVAILABLE", `no known region covers ${what} yet`, false);
}

/** True when the regions (in key order) leave no gap in `span`. */
function covers(regions: readonly RegionEntry[], span: KeySpan): boolean {
  let at = span.start;
  for (const r of regions) {
    if (compareBytes(r.start, at) > 0) return false;
    if (r.end.length === 0) return true;
    at = r.end;
    if (compareEnd(span.end, at) <= 0) return true;
  }
  return false;
}
