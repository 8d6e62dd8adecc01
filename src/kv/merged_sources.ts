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
 * The records are region-local: they travel in the target's images, and a split copies them to
 * its child, so the image of each region descended from the target proves the source gone (sim
 * seed 159 with merges: a wiped node that re-made a source was sent only the target's children,
 * and refused them all for overlapping it). A copy names the target it was written in (the value
 * is fence · target; a record from before holds the fence alone, written in its holder): where
 * this node holds that target still short of the commit, the source stays — the target here
 * needs its state to apply the commit (seeds 11 and 33: dropped, the target here went on without
 * it). At most MERGED_SOURCES_KEPT are kept; past it the lowest source id goes.
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

/**
 * The writes that copy `parent`'s records to a split's `child`, each naming the region the merge
 * took its source into (a value from before, the fence alone, was the parent's own: named so).
 */
export function copyMergedSources(db: EngineReader, parent: number, child: number): WriteOp[] {
  const start = RECORDS.prefix(parent);
  const end = start.slice();
  end[end.length - 1]++; // the name's last byte is a letter: no carry
  const out: WriteOp[] = [];
  for (const [key, value] of db.scanSync({ start, end })) {
    const source = RECORDS.idOf(parent, key);
    if (source === undefined) continue;
    const { fence, target } = decodeMergedSource(parent, value);
    out.push({ type: "put", key: RECORDS.key(child, source), value: encodeValue(fence, target) });
  }
  return out;
}

function encodeValue(fence: number, target: number): Uint8Array {
  const value = new Uint8Array(16);
  writeU64BE(value, 0, fence);
  writeU64BE(value, 8, target);
  return value;
}

/** The source id a key of `target`'s records names; undefined for every other key. */
export function mergedSourceOf(target: number, key: Uint8Array): number | undefined {
  return RECORDS.idOf(target, key);
}

/** A record's value: the fence, and the region the merge took the source into. */
export interface MergedSource {
  readonly fence: number;
  readonly target: number;
}

/** Decodes a record held by region `holder` (a value of 8 bytes is its own, from before copies). */
export function decodeMergedSource(holder: number, value: Uint8Array): MergedSource {
  if (value.length !== 8 && value.length !== 16) {
    throw new DecodeError(`merged-source record of ${value.length} bytes`, 0);
  }
  const target = value.length === 16 ? readU64BE(value, 8) : holder;
  return { fence: readU64BE(value, 0), target };
}

/** What `holder`'s records here say of `source`; undefined: nothing (never absorbed). */
export function readMergedSourceRecord(
  db: EngineReader,
  holder: number,
  source: number,
): MergedSource | undefined {
  const value = RECORDS.get(db, holder, source);
  return value === undefined ? undefined : decodeMergedSource(holder, value);
}

/** The fence at which `target` (or its ancestor) absorbed `source`; undefined: never. */
export function readMergedSource(
  db: EngineReader,
  target: number,
  source: number,
): number | undefined {
  return readMergedSourceRecord(db, target, source)?.fence;
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
  const { key, drop } = RECORDS.record(db, target, source);
  const value = encodeValue(fence, target);
  return [...drop.map((k) => ({ type: "del" as const, key: k })), { type: "put", key, value }];
}
