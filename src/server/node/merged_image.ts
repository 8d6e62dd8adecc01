/**
 * Images of a region merged away here (docs/regions.md "Merge", "A region merged away after a
 * crash"). Its target applied the commit on this node, so the source's keys are the target's and
 * the replica only waits for its removal (region_merge_check.ts). A crash that cut that removal
 * brings it back at the next open (its descriptor is deleted last), on the driver again; where
 * the crash took its log too, the replicas come back as a group that elects a leader, and the
 * leader sends its image to a replica whose log is empty. Installed, the image would write the
 * source's range back under the target; the import refuses it as an overlap instead, and a throw
 * out of a restore stopped the node, at every restart (the simulator's seeds 16, 24, 39 and 50 with
 * `--region-merge-bytes`: "region 2's snapshot overlaps local region 3"). The replica takes no
 * image: its applied index moves to the snapshot's over entries with no command (nothing else
 * changes; the log continues there), and the merge check drops it.
 */
import type { RegionEntry, RegionKv } from "../../kv/region_apply.ts";
import type { Logger } from "../log/logger.ts";
import type { EngineHolder } from "./engine_holder.ts";
import { MERGED_IMAGE_SKIP_BATCH } from "../../limits_ops.ts";

/**
 * Whether a received image of `kv`'s region at `index` is not to be installed (merged away
 * here); if so, the replica's applied index is moved to `index`, on disk before Raft keeps the
 * snapshot (as an import's flush: a crash after would replay the log from the snapshot over an
 * engine behind it, "apply gap"), and the image is dropped.
 */
export async function skipsImage(
  kv: Pick<RegionKv, "merge" | "descriptor" | "appliedIndex" | "apply">,
  index: number,
  engine: Pick<EngineHolder, "db" | "locked">,
  logger: Logger,
): Promise<boolean> {
  if (kv.merge?.stage !== "merged") return false;
  logger.info("region.image_ignored", { region: kv.descriptor.id, index, why: "merged away" });
  await engine.locked(async () => {
    for (let from = kv.appliedIndex + 1; from <= index; from += MERGED_IMAGE_SKIP_BATCH) {
      const entries: RegionEntry[] = [];
      for (let i = from; i <= Math.min(index, from + MERGED_IMAGE_SKIP_BATCH - 1); i++) {
        entries.push({ index: i, data: null });
      }
      await kv.apply(entries);
    }
    await engine.db.flush();
  });
  return true;
}
