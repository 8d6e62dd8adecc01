/**
 * A region's record of the conf change entries it refused (docs/regions.md "Merge"): a merge's
 * source changes no member from its PrepareMerge on, so a change that reaches its log after the
 * prepare applies as a no-op, and the driver leaves the Raft configuration as it was
 * (server/node/region_membership.ts `applyRegionEntries`). Written in that entry's batch:
 *
 *   0x10 region 0x00 "conf-refused" index:u64be  →  (empty)
 *
 * Why a record and not only the merge state: an entry at or below the applied index is handed to
 * the region again after an image newer than its Raft snapshot (region_snapshots.ts), or after a
 * restart; the state that refused it is gone by then, and the driver would take the change the
 * image's descriptor never took (the simulator's seeds 75, 80, 87 and 104 with merges: a
 * replica's descriptor and its Raft configuration disagreed). Region-local, the records travel in
 * the region's images. At most REFUSED_KEPT are kept, the lowest index dropped first: only the
 * entries after a Raft snapshot are handed again, and refusals are rare (a change racing a
 * prepare).
 */
import { concatBytes, equalBytes, utf8 } from "../util/bytes.ts";
import { writeU64BE } from "../util/coding.ts";
import { regionKeys, RegionKind } from "./region_keys.ts";
import type { EngineReader, EngineWrite } from "./write_set.ts";

/** Refusals a region keeps (the newest). */
export const REFUSED_KEPT = 16;

const SUFFIX = concatBytes([new Uint8Array([RegionKind.Meta]), utf8("conf-refused")]);
const EMPTY = new Uint8Array(0);

function prefix(region: number): Uint8Array {
  return regionKeys(region).local(SUFFIX);
}

export function refusedConfKey(region: number, index: number): Uint8Array {
  const at = new Uint8Array(8);
  writeU64BE(at, 0, index);
  return concatBytes([prefix(region), at]);
}

/** Whether `region` refused its conf change entry at `index`, per its records here. */
export function confRefused(db: EngineReader, region: number, index: number): boolean {
  return db.get(refusedConfKey(region, index)) !== undefined;
}

/** The writes that record the refusal at `index`, dropping the lowest past REFUSED_KEPT. */
export function recordConfRefused(
  db: EngineReader,
  region: number,
  index: number,
): EngineWrite[] {
  const start = prefix(region);
  const end = concatBytes([start, new Uint8Array(8).fill(0xff), new Uint8Array([0xff])]);
  const own = refusedConfKey(region, index);
  const held: Uint8Array[] = [];
  for (const [k] of db.scanSync({ start, end })) if (!equalBytes(k, own)) held.push(k.slice());
  const writes: EngineWrite[] = [];
  // Keys sort by index (u64be): the first are the lowest.
  for (let i = 0; i < held.length + 1 - REFUSED_KEPT; i++) {
    writes.push({ key: held[i], value: null });
  }
  writes.push({ key: own, value: EMPTY });
  return writes;
}
