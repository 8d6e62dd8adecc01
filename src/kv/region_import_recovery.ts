/**
 * Replicas without a whole image (docs/regions.md "Region snapshots"):
 *
 * - at open, a region whose snapshot import a crash cut short (its marker says `applying`) is
 *   emptied and left uninitialized, waiting for a new snapshot;
 * - an uninitialized replica is created for a region this node learns of from a peer (the
 *   lagging-replica path): its descriptor and an `awaiting` marker, no data, applied index 0,
 *   refused when its range overlaps a local region's.
 */
import { checkDescriptor, overlaps, type RegionDescriptor } from "../region/descriptor.ts";
import { errorMessage, InvalidArgumentError } from "../util/errors.ts";
import { readAllDescriptors, regionIdsOnEngine } from "./region_descriptor_record.ts";
import { readImportMarker } from "./region_import_marker.ts";
import { regionKeys } from "./region_keys.ts";
import type { BatchBounds, RegionDb } from "./region_range_clear.ts";
import { leaveUninitialized } from "./region_snapshot_import.ts";

/**
 * Finishes what crashed imports left (each such region emptied, uninitialized); returns the
 * ids of every uninitialized region, which need a snapshot. One seek per region.
 */
export async function recoverRegionImports(
  db: RegionDb,
  bounds: BatchBounds = {},
): Promise<number[]> {
  const awaiting: number[] = [];
  for (const id of regionIdsOnEngine(db)) {
    const marker = readImportMarker(db, id);
    if (marker?.state === "applying") await leaveUninitialized(db, marker.descriptor, bounds);
    if (marker !== undefined) awaiting.push(id);
  }
  return awaiting;
}

/**
 * Creates an uninitialized replica of region `d` (learnt from a peer: a move, or a split this
 * node missed). Refused when the region has records here already, or when its range overlaps
 * a local region's: that region has not caught up with a split or merge the sender applied,
 * and the two would own the same keys (the rule of mayCreateReplica in src/raft/multi).
 */
export async function createUninitializedReplica(db: RegionDb, d: RegionDescriptor): Promise<void> {
  try {
    checkDescriptor(d);
  } catch (err) {
    throw new InvalidArgumentError(`region replica: ${errorMessage(err)}`);
  }
  const keys = regionKeys(d.id);
  for (const _ of db.scanSync({ start: keys.start, end: keys.end })) {
    throw new InvalidArgumentError(`region ${d.id} is already on this node`);
  }
  for (const local of readAllDescriptors(db)) {
    if (overlaps(local, d)) {
      throw new InvalidArgumentError(`region ${d.id} overlaps local region ${local.id}`);
    }
  }
  await leaveUninitialized(db, d, {});
}
