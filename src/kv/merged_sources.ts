/**
 * A merged region's record of the sources it absorbed (docs/regions.md "Merge", "A source
 * replica that missed the commit"), written in the batch of each CommitMerge it applies:
 *
 *   0x10 target 0x00 "merged-source" source:u64be  →  fence:u64be
 *
 * Why: a node whose replica of the target installs an image taken past the commit never applies
 * the commit, so its replica of the source stays `prepared`, and the source's group is gone (its
 * other replicas were dropped once merged): no leader will ever tell it the outcome. When the
 * image's range covers the source, the image itself proves the merge (a target grows only by
 * merging); once the target split again after the merge, it may not — and the source's range is
 * then held by the target's children, whose images this node refuses while the stale source
 * overlaps them. This record is the proof in that case: the target absorbed that source id (a
 * region id is never reused, so a region merged away never serves again). A rollback writes
 * nothing here, so a source rolled back is never taken for merged.
 *
 * The records are region-local: they travel in the target's images and stay with the target
 * (the left half) when it splits. At most MERGED_SOURCES_KEPT are kept; past it the lowest
 * source id goes.
 */
import { MERGED_SOURCES_KEPT } from "../limits_ops.ts";
import type { WriteOp } from "../storage/db.ts";
import { DecodeError, readU64BE, writeU64BE } from "../util/coding.ts";
import { RegionIdRecords } from "./region_id_records.ts";
import type { EngineReader } from "./write_set.ts";

const RECORDS = new RegionIdRecords("merged-source", MERGED_SOURCES_KEPT);

export function mergedSourceKey(target: number, source: number): Uint8Array {
  return RECORDS.key(target, source);
}

/** The source id a key of `target`'s records names; undefined for any other key. */
export function mergedSourceOf(target: number, key: Uint8Array): number | undefined {
  return RECORDS.idOf(target, key);
}

/** The fence at which `target` absorbed `source`, per its records here; undefined: never. */
export function readMergedSource(
  db: EngineReader,
  target: number,
  source: number,
): number | undefined {
  const value = RECORDS.get(db, target, source);
  if (value === undefined) return undefined;
  if (value.length !== 8) throw new DecodeError(`merged-source record of ${value.length} bytes`, 0);
  return readU64BE(value, 0);
}

/**
 * The writes that record `source` absorbed at `fence` into `target`, dropping the lowest source
 * ids past MERGED_SOURCES_KEPT (the same on every replica: they read the same records).
 */
export function recordMergedSource(
  db: EngineReader,
  target: number,
  source: number,
  fence: number,
): WriteOp[] {
  const value = new Uint8Array(8);
  writeU64BE(value, 0, fence);
  const { key, drop } = RECORDS.record(db, target, source);
  return [...drop.map((k) => ({ type: "del" as const, key: k })), { type: "put", key, value }];
}
