/**
 * Whether a node splits regions, and at what sizes: the flags, the data directory and the
 * cluster decide together (docs/decisions/0020-splitting-on-by-default.md, "The setting follows
 * the data directory").
 *
 * The binary splits by default, but an existing directory keeps running as it always ran: a
 * directory marked "regions split" (identity.ts) splits whatever the flag says later (its
 * revisions are timestamps, its peers take region images from it); an unmarked directory that
 * already has an identity was made by a build that ran one region unless told, so it runs one
 * region unless `--region-split-bytes` above 0 turns splitting on (an upgrade: the mark is
 * written). A new directory follows its cluster: the mode its peers report at startup (a node
 * added to a one-region cluster must run one region too, or its peers refuse it), and the
 * default when none answers (the first node of a new cluster).
 */
import { REGION_MODE_SPLIT } from "../peer/region_mode.ts";

/**
 * The binary's split size (256 MiB) when splitting and `--region-split-bytes` is absent: 64 MiB
 * until session 32, when a node's per-region costs showed (decision 0025).
 */
export const REGION_SPLIT_BYTES_DEFAULT = 256 * 1024 * 1024;

/** With no `--region-merge-bytes`, neighbours merge below this fraction of the split size. */
export const REGION_MERGE_FRACTION = 4;

export interface RegionSettingInput {
  /** `--region-split-bytes` and `--region-merge-bytes`, when given. */
  readonly splitFlag?: number;
  readonly mergeFlag?: number;
  /**
   * The split size of a splitting node whose flag is absent; also what makes a new directory
   * split. Absent (in-process nodes, embedders): new directories run one region, as before.
   */
  readonly splitDefault?: number;
  /** The directory is marked "regions split" (identity.ts). */
  readonly marked: boolean;
  /** The directory has no identity yet: this start founds or joins a cluster. */
  readonly fresh: boolean;
  /** The region modes the other nodes reported at startup (region_mode.ts; 0: an older build). */
  readonly peerModes: readonly number[];
}

export interface RegionSetting {
  /** The node splits regions (or may): region images, stamped commands; the mark is written. */
  readonly splits: boolean;
  readonly splitBytes: number;
  readonly mergeBytes: number;
}

export class RegionSettingError extends Error {
  override name = "RegionSettingError";
}

export function resolveRegionSetting(i: RegionSettingInput): RegionSetting {
  const splits = i.marked || (i.splitFlag ?? 0) > 0 ||
    (i.splitFlag === undefined && i.fresh && newDirectorySplits(i));
  const splitBytes = i.splitFlag ?? (splits ? i.splitDefault ?? 0 : 0);
  // The merge size follows the split size unless given: `--region-split-bytes 0` alone turns
  // both off. A default split size is the binary's, and so is the quarter.
  const mergeDefault = i.splitDefault === undefined
    ? 0
    : Math.floor(splitBytes / REGION_MERGE_FRACTION);
  const mergeBytes = i.mergeFlag ?? mergeDefault;
  if (mergeBytes > 0 && (splitBytes === 0 || mergeBytes > splitBytes / 2)) {
    throw new RegionSettingError(
      `--region-merge-bytes (${mergeBytes}) must be at most half of --region-split-bytes ` +
        `(${splitBytes}${i.splitFlag === undefined ? ", its default here" : ""}), ` +
        "so that a merged region is far from splitting again",
    );
  }
  return { splits, splitBytes, mergeBytes };
}

/** A new directory: the cluster's mode when a peer says it, else the default. */
function newDirectorySplits(i: RegionSettingInput): boolean {
  if (i.peerModes.length > 0) return i.peerModes.some((m) => m === REGION_MODE_SPLIT);
  return (i.splitDefault ?? 0) > 0;
}
