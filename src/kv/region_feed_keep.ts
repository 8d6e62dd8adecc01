/**
 * The change feeds a node keeps for regions it no longer holds (docs/regions.md "Merge", "A
 * merged source's feed"). A split child reads its keys' changes from before the split
 * in its ancestors' feeds (region_lineage.ts), on this engine. A region merged away loses its
 * region-local records when its replica is dropped, but its feed stays while a region here
 * names it in its lineage: without it, that child's reads at a revision below its split find
 * the key index pointing at nothing and answer "absent" (the simulator's bank, seeds 1, 10
 * and 32 with `--region-merge-bytes`: an account last written before its region split off the
 * merged source read as absent by a transaction).
 *
 * A kept feed has no descriptor, so the node never opens it as a region. It goes when the last
 * region naming it leaves this node (clearLeftoverFeeds, on that region's removal); the
 * children's own compaction deletes their records in it meanwhile (history_view.ts).
 */
import { readAllDescriptors, readDescriptor } from "./region_descriptor_record.ts";
import { readLineage } from "./region_lineage.ts";
import { DEFAULT_REGION_ID, regionKeys } from "./region_keys.ts";
import {
  type BatchBounds,
  type BatchStep,
  clearEngineRange,
  type RegionDb,
} from "./region_range_clear.ts";
import type { EngineRange } from "./snapshot_ranges.ts";

/** Whether a region on this engine other than `id` and `except` has `id` in its lineage. */
export function feedReadByOthers(db: RegionDb, id: number, except: number = id): boolean {
  for (const d of readAllDescriptors(db)) {
    if (d.id === id || d.id === except) continue;
    if (readLineage(db, d.id).some((a) => a.regionId === id)) return true;
  }
  return false;
}

/**
 * Deletes the kept feeds among `ancestors` (the lineage of region `removed`, leaving this node)
 * that no region here reads any more: each one with no descriptor here (not held) and named by
 * no other region's lineage. Returns the records deleted.
 */
export async function clearLeftoverFeeds(
  db: RegionDb,
  ancestors: readonly number[],
  removed: number,
  bounds: BatchBounds & { readonly step?: BatchStep } = {},
): Promise<number> {
  let deleted = 0;
  for (const id of ancestors) {
    if (id === DEFAULT_REGION_ID || readDescriptor(db, id) !== undefined) continue;
    if (feedReadByOthers(db, id, removed)) continue;
    const keys = regionKeys(id);
    deleted += await clearEngineRange(db, { start: keys.start, end: keys.end }, [], bounds);
  }
  return deleted;
}

/**
 * Deletes the region-local records of region `id`, merged away (its user keys are its
 * target's), except the keys in `keep` and, while a region here reads it, its change feed.
 */
export async function clearMergedReplica(
  db: RegionDb,
  id: number,
  keep: readonly Uint8Array[],
  bounds: BatchBounds & { readonly step?: BatchStep } = {},
): Promise<number> {
  const own = regionKeys(id);
  const parts: EngineRange[] = feedReadByOthers(db, id)
    ? [{ start: own.start, end: own.historyStart(0) }, { start: own.historyEnd, end: own.end }]
    : [{ start: own.start, end: own.end }];
  let deleted = 0;
  for (const r of parts) deleted += await clearEngineRange(db, r, keep, bounds);
  return deleted;
}
