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
import { RegionIdRecords } from "./region_id_records.ts";
import type { EngineReader, EngineWrite } from "./write_set.ts";

/** Refusals a region keeps (the newest). */
export const REFUSED_KEPT = 16;

const RECORDS = new RegionIdRecords("conf-refused", REFUSED_KEPT);

/** Whether `region` refused its conf change entry at `index`, per its records here. */
export function confRefused(db: EngineReader, region: number, index: number): boolean {
  return RECORDS.get(db, region, index) !== undefined;
}

/** The writes that record the refusal at `index`, dropping the lowest past REFUSED_KEPT. */
export function recordConfRefused(
  db: EngineReader,
  region: number,
  index: number,
): EngineWrite[] {
  const { key, drop } = RECORDS.record(db, region, index);
  return [...drop.map((k) => ({ key: k, value: null })), { key, value: new Uint8Array(0) }];
}
