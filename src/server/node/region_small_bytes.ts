/**
 * The size of small regions as the node's merge measures it, for its own merge check
 * (region_merge_check.ts) and the reports placement's merge checker reads
 * (node_region_catalog.ts). A region's size estimate is not that measure: it counts deleted and
 * overwritten versions until the engine compacts them (too big), and it counts the
 * tables' compressed blocks (too small — compressible values put a region of several MiB at tens
 * of KiB). Placement taking such a region for merge-bound while the node, counting current
 * records, never merged it held back every region balance move between the pair. So with merge
 * on the node counts a region's current records (`currentBytes`, a scan of at most
 * `--region-merge-bytes`) and reports that count when it is at most the limit, and at least the
 * limit + 1 when it is past it, whatever the estimate. Counted again only when it may have
 * changed: the region applied something since, and either the last count was small or the region
 * holds fewer keys than then (a region that was too big stays so while it keeps its keys; a shrink
 * by overwrites alone shows once the engine compacts). So an idle region, or a large one that
 * keeps growing, costs no scan per heartbeat.
 */
import type { Db } from "../../storage/db.ts";
import type { HostedRegion } from "./hosted_region.ts";
import type { RegionDescriptor } from "../../region/descriptor.ts";
import { DATA_PREFIX, dataKey } from "../../kv/keyspace.ts";

const DATA_END = new Uint8Array([DATA_PREFIX[0] + 1]);

interface Count {
  readonly applied: number;
  readonly keys: number;
  readonly bytes: number;
}

export class SmallRegionBytes {
  readonly #counts = new Map<number, Count>();
  /** Scans run (tests). */
  scans = 0;

  constructor(readonly mergeBytes: number) {}

  /**
   * The region's current-record bytes when at most mergeBytes; past it, the estimate or
   * mergeBytes + 1, the larger. Merge off: the estimate.
   */
  of(db: Db, r: HostedRegion, estimate: number, hosted: number): number {
    const limit = this.mergeBytes;
    if (limit <= 0) return estimate;
    const applied = r.kv.appliedIndex, keys = r.kv.kv.keyCount;
    let c = this.#counts.get(r.id);
    const fresh = c !== undefined &&
      (c.applied === applied || (c.bytes > limit && keys >= c.keys));
    if (c === undefined || !fresh) {
      this.scans++;
      c = { applied, keys, bytes: currentBytes(db, r.kv.descriptor, limit) };
      // One entry per region held, give or take those dropped since: cleared when it outgrows that.
      if (this.#counts.size > 2 * hosted + 16) this.#counts.clear();
      this.#counts.set(r.id, c);
    }
    // A count past the limit stopped there: not the region's size, only "not merge-bound".
    return c.bytes <= limit ? c.bytes : Math.max(estimate, limit + 1);
  }
}

/**
 * The region's current-record bytes, counted up to just past `limit` (a scan of at most that
 * much). The merge's own measure: the size estimate counts deleted and overwritten versions until
 * the engine compacts them away (node_region_catalog.ts reports this one too when it is small).
 */
export function currentBytes(db: Db, d: RegionDescriptor, limit: number): number {
  return db.liveBytes(dataKey(d.start), d.end.length > 0 ? dataKey(d.end) : DATA_END, limit);
}
