/**
 * Where a region's older history lives (docs/regions.md "History across splits"): a split
 * child's change feed starts empty, and the versions its keys got before the split stay in
 * the parent's feed, those from before the parent's own split in the grandparent's, and so
 * on. The child keeps the chain region-locally, next to its descriptor
 * (docs/formats.md#region-local-keyspace):
 *
 *   0x10 regionId:u64be 0x00 "lineage"  →  0x01 (layout) count:u32be then per ancestor,
 *                                          nearest first, regionId:u64be splitRevision:u64be
 *
 * An ancestor's `splitRevision` is the store revision the region it split had when the split
 * applied: every record the child's keys have at or below it is in an ancestor's feed, every
 * one above it in a nearer region's. The revisions go down along the chain (a parent splits
 * after it was itself split off). A region without the record (region 1, a store from before
 * splits) has no ancestors. The whole chain is copied at each split, so finding a record's feed
 * reads nothing but this record, whatever the number of generations.
 */
import { ByteReader, DecodeError, readU32BE, readU64BE } from "../util/coding.ts";
import { concatBytes, utf8 } from "../util/bytes.ts";
import { regionKeys, RegionKind } from "./region_keys.ts";
import type { EngineReader } from "./write_set.ts";

/** One region a child's older history is in, and the revision it split at. */
export interface Ancestor {
  readonly regionId: number;
  readonly splitRevision: number;
}

const LAYOUT = 0x01;
const SUFFIX = concatBytes([new Uint8Array([RegionKind.Meta]), utf8("lineage")]);

export function lineageKey(regionId: number): Uint8Array {
  return regionKeys(regionId).local(SUFFIX);
}

export function encodeLineage(chain: readonly Ancestor[]): Uint8Array {
  const out = new Uint8Array(1 + 4 + 16 * chain.length);
  const v = new DataView(out.buffer);
  out[0] = LAYOUT;
  v.setUint32(1, chain.length);
  chain.forEach((a, i) => {
    v.setBigUint64(5 + 16 * i, BigInt(a.regionId));
    v.setBigUint64(13 + 16 * i, BigInt(a.splitRevision));
  });
  return out;
}

/** Decodes and checks a lineage record; throws DecodeError when it is malformed. */
export function decodeLineage(value: Uint8Array): Ancestor[] {
  const r = new ByteReader(value);
  if (r.u8() !== LAYOUT) throw new DecodeError("unknown region lineage layout", 0);
  const count = readU32BE(r.bytesView(4), 0);
  if (count * 16 !== r.remaining) throw new DecodeError(`lineage of ${count}`, r.offset);
  const chain: Ancestor[] = [];
  for (let i = 0; i < count; i++) {
    const regionId = readU64BE(r.bytesView(8), 0);
    const splitRevision = readU64BE(r.bytesView(8), 0);
    const before = chain[chain.length - 1];
    if (before !== undefined && splitRevision > before.splitRevision) {
      throw new DecodeError("lineage revisions must go down", r.offset);
    }
    chain.push({ regionId, splitRevision });
  }
  if (r.remaining !== 0) throw new DecodeError("trailing bytes in region lineage", r.offset);
  return chain;
}

/** The ancestors of region `regionId` on this engine, nearest first (none without a record). */
export function readLineage(db: EngineReader, regionId: number): Ancestor[] {
  const value = db.get(lineageKey(regionId));
  return value === undefined ? [] : decodeLineage(value);
}

/** A child's chain: its parent at the split's revision, then the parent's own ancestors. */
export function childLineage(
  parentId: number,
  splitRevision: number,
  parentChain: readonly Ancestor[],
): Ancestor[] {
  return [{ regionId: parentId, splitRevision }, ...parentChain];
}
