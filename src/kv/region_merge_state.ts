/**
 * The region-local records of a merge (docs/regions.md "Merge"), written in the batch of the
 * merge command that changes them:
 *
 *   0x10 source 0x00 "merge"        →  0x01 (layout) state:u8 fence:u64be target descriptor
 *   0x10 region 0x00 "merge-floor"  →  revision:u64be
 *
 * `merge` is the source's: `prepared` from its PrepareMerge (the fence is that entry's index:
 * the source applies nothing after it but a rollback) to its RollbackMerge (the record is
 * deleted) or the target's CommitMerge (`merged`: the source is gone, its replica is dropped,
 * its keys are the target's). The target named is the one the prepare saw: the commit must
 * carry that exact epoch, so a target that changed since cannot take the source in.
 *
 * `merge-floor` is the target's: the revision of its last merge. A change at or below it of a
 * key it absorbed is in its absorbed records (RegionKind.Absorbed), not in a feed of its own
 * lineage (history_view.ts); a region that never merged has none (0).
 */
import type { RegionDescriptor } from "../region/descriptor.ts";
import { ByteReader, DecodeError, readU64BE, writeU64BE } from "../util/coding.ts";
import { concatBytes, utf8 } from "../util/bytes.ts";
import { decodeDescriptor, encodeDescriptor } from "./region_descriptor_record.ts";
import { regionKeys, RegionKind } from "./region_keys.ts";
import type { EngineReader } from "./write_set.ts";

export type MergeStage = "prepared" | "merged";

export interface MergeState {
  readonly stage: MergeStage;
  /** The PrepareMerge's index: the source's last applied entry before the merge. */
  readonly fence: number;
  /** The target as the prepare saw it (its epoch is the one a commit must carry). */
  readonly target: RegionDescriptor;
}

const LAYOUT = 0x01;
const meta = (name: string) => concatBytes([new Uint8Array([RegionKind.Meta]), utf8(name)]);
const STATE_SUFFIX = meta("merge");
const FLOOR_SUFFIX = meta("merge-floor");

export function mergeStateKey(regionId: number): Uint8Array {
  return regionKeys(regionId).local(STATE_SUFFIX);
}

export function mergeFloorKey(regionId: number): Uint8Array {
  return regionKeys(regionId).local(FLOOR_SUFFIX);
}

export function encodeMergeState(s: MergeState): Uint8Array {
  const target = encodeDescriptor(s.target);
  const out = new Uint8Array(10 + target.length);
  out[0] = LAYOUT;
  out[1] = s.stage === "prepared" ? 1 : 2;
  writeU64BE(out, 2, s.fence);
  out.set(target, 10);
  return out;
}

/** Decodes a merge record; throws DecodeError when it is malformed. */
export function decodeMergeState(value: Uint8Array): MergeState {
  const r = new ByteReader(value);
  if (r.u8() !== LAYOUT) throw new DecodeError("unknown region merge layout", 0);
  const code = r.u8();
  if (code !== 1 && code !== 2) throw new DecodeError(`merge stage ${code}`, 1);
  const fence = readU64BE(r.bytesView(8), 0);
  if (!Number.isSafeInteger(fence) || fence < 1) throw new DecodeError(`merge fence ${fence}`, 2);
  const target = decodeDescriptor(value.subarray(10));
  return { stage: code === 1 ? "prepared" : "merged", fence, target };
}

export function readMergeState(db: EngineReader, regionId: number): MergeState | undefined {
  const value = db.get(mergeStateKey(regionId));
  return value === undefined ? undefined : decodeMergeState(value);
}

export function encodeMergeFloor(revision: number): Uint8Array {
  const out = new Uint8Array(8);
  writeU64BE(out, 0, revision);
  return out;
}

export function readMergeFloor(db: EngineReader, regionId: number): number {
  const value = db.get(mergeFloorKey(regionId));
  if (value === undefined) return 0;
  if (value.length !== 8) throw new DecodeError(`merge floor of ${value.length} bytes`, 0);
  return readU64BE(value, 0);
}
