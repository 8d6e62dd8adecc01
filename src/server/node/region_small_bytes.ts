/**
 * The exact size of small regions, for the reports placement's merge checker reads
 * (node_region_catalog.ts). A region's size estimate counts deleted and overwritten versions
 * until the engine compacts them, so with merge on the node also counts a region's current
 * records (`currentBytes`, a scan of at most `--region-merge-bytes`) and reports that when it is
 * smaller. Counted again only when it may have changed: the region applied something since, and
 * either the last count was small or the region holds fewer keys than then (a region that was too
 * big stays so while it keeps its keys; a shrink by overwrites alone shows once the engine
 * compacts). So an idle region, or a large one that keeps growing, costs no scan per heartbeat.
 */
import type { Db } from "../../storage/db.ts";
import type { HostedRegion } from "./hosted_region.ts";
import { currentBytes } from "./region_merge_check.ts";

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

  /** `estimate`, or the region's current-record bytes when smaller and at most mergeBytes. */
  of(db: Db, r: HostedRegion, estimate: number, hosted: number): number {
    const limit = this.mergeBytes;
    if (limit <= 0 || estimate <= limit) return estimate;
    const applied = r.kv.appliedIndex, keys = r.kv.kv.keyCount;
    let c = this.#counts.get(r.id);
    const fresh = c !== undefined &&
      (c.applied === applied || (c.bytes > limit && keys >= c.keys));
    if (!fresh) {
      this.scans++;
      c = { applied, keys, bytes: currentBytes(db, r.kv.descriptor, limit) };
      // One entry per region held, give or take those dropped since: cleared when it outgrows that.
      if (this.#counts.size > 2 * hosted + 16) this.#counts.clear();
      this.#counts.set(r.id, c);
    }
    // A count past the limit stopped there: not the region's size, so the estimate stands.
    return c !== undefined && c.bytes <= limit ? Math.min(estimate, c.bytes) : estimate;
  }
}
