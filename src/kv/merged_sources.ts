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
import { concatBytes, equalBytes, utf8 } from "../util/bytes.ts";
import { DecodeError, readU64BE, writeU64BE } from "../util/coding.ts";
import { regionKeys, RegionKind } from "./region_keys.ts";
import type { EngineReader } from "./write_set.ts";

const SUFFIX = concatBytes([new Uint8Array([RegionKind.Meta]), utf8("merged-source")]);

function prefix(target: number): Uint8Array {
  return regionKeys(target).local(SUFFIX);
}

export function mergedSourceKey(target: number, source: number): Uint8Array {
  const id = new Uint8Array(8);
  writeU64BE(id, 0, source);
  return concatBytes([prefix(target), id]);
}

/** The source id a key of `target`'s records names; undefined for any other key. */
export function mergedSourceOf(target: number, key: Uint8Array): number | undefined {
  const start = prefix(target);
  if (key.length !== start.length + 8 || !equalBytes(key.subarray(0, start.length), start)) {
    return undefined;
  }
  return readU64BE(key, start.length);
}

/** The fence at which `target` absorbed `source`, per its records here; undefined: never. */
export function readMergedSource(
  db: EngineReader,
  target: number,
  source: number,
): number | undefined {
  const value = db.get(mergedSourceKey(target, source));
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
  const start = prefix(target);
  const end = concatBytes([start, new Uint8Array(8).fill(0xff), new Uint8Array([0xff])]);
  const held: Uint8Array[] = [];
  const own = mergedSourceKey(target, source);
  for (const [k] of db.scanSync({ start, end })) {
    if (!equalBytes(k, own)) held.push(k.slice());
  }
  const ops: WriteOp[] = [];
  // Keys sort by source id (u64be): the first are the lowest.
  const over = held.length + 1 - MERGED_SOURCES_KEPT;
  for (let i = 0; i < over; i++) ops.push({ type: "del", key: held[i] });
  ops.push({ type: "put", key: own, value });
  return ops;
}
