/**
 * Which images a node may install over its local regions (region_creation.ts `screen`;
 * docs/regions.md "Merge", "A source replica that missed the commit").
 */
import { readAllDescriptors, readDescriptor } from "../../kv/region_descriptor_record.ts";
import { readMergedSource } from "../../kv/merged_sources.ts";
import { readMergeState } from "../../kv/region_merge_state.ts";
import type { EngineReader } from "../../kv/write_set.ts";
import { mayCreateReplica } from "../../raft/multi/split_child.ts";
import { overlaps, type RegionDescriptor } from "../../region/descriptor.ts";

/**
 * Whether an image of `incoming` may install here: no local region overlaps it, except a merge's
 * source prepared here for it — an image of the target that reaches into its source's range is
 * past the commit (a region grows only by a merge), so that source is gone and is dropped once
 * the image installed (region_apply_pass.ts `mergedByImage`) — a region merged away whose
 * removal has not run yet (or was cut by a crash): its keys are its target's — and a region the
 * image records `absorbed` (imageHead), prepared here or not, likewise dropped once it
 * installed. The import's own check (importRegionSnapshot) allows the same. Without the
 * exceptions a node whose replica of the target was removed, and which got it back only after
 * the merge, refused the target's images for ever; and one whose crash replayed the split that
 * made a source long merged away refused them for the re-made source.
 *
 * `clearing(id)`: region `id`'s old replica is still leaving the engine (region_removal.ts: its
 * descriptor goes last, after its records). An image of that same region is not refused for it:
 * the install queues behind the clearing (region_image_install.ts). Refused, every image the
 * leader sent meanwhile (tens of MB each) was wasted, and the replica dropped for want of one.
 */
export function mayInstallImage(
  db: EngineReader,
  incoming: RegionDescriptor,
  clearing: (id: number) => boolean = () => false,
  absorbed: readonly number[] = [],
): { ok: true } | { ok: false; overlaps: number } {
  const live = (d: RegionDescriptor) => {
    const merge = readMergeState(db, d.id);
    if (absorbed.includes(d.id)) return false;
    return merge?.target.id !== incoming.id && merge?.stage !== "merged";
  };
  const leaving = (d: RegionDescriptor) => d.id === incoming.id && clearing(d.id);
  const local = readAllDescriptors(db).filter((d) =>
    !leaving(d) && (d.id === incoming.id || live(d))
  );
  return mayCreateReplica(local, incoming);
}

/**
 * Whether an image of `incoming` may replace the state of a region this node hosts: no other
 * local region overlaps it (a merge's source prepared for it and a region merged away aside, as
 * above), and an image of a replica merged away here passes (its restore skips it:
 * merged_image.ts). Installed over an overlap, the import refuses it, and a refusal out of a
 * restore stopped the node ("region X's snapshot overlaps local region Y": a node test with many
 * splits and moves). Dropped before Raft takes it, as an uninitialized replica's is, it comes
 * again once this node caught up (the split or merge that makes them fit applied here).
 */
export function mayReplaceImage(
  db: EngineReader,
  incoming: RegionDescriptor,
  absorbed: readonly number[] = [],
): { ok: true } | { ok: false; overlaps: number } {
  if (readMergeState(db, incoming.id)?.stage === "merged") return { ok: true };
  for (const d of readAllDescriptors(db)) {
    if (d.id === incoming.id || absorbed.includes(d.id)) continue;
    const merge = readMergeState(db, d.id);
    if (merge?.target.id === incoming.id || merge?.stage === "merged") continue;
    if (overlaps(d, incoming)) return { ok: false, overlaps: d.id };
  }
  return { ok: true };
}

/**
 * Which of the regions an image's records prove merged away (`absorbed`, imageHead) a local
 * replica may yield to it for: each, unless this node holds the region it was merged into — an
 * ancestor of the image's region, whose records a split copied — still short of that commit (no
 * record of its own, not merged away itself). That replica replays its log to the commit and needs
 * the source's state there; dropped for a child's image, the target here went on without it (sim
 * seeds 11 and 33 with merges: a stale read, replicas that differed).
 */
export function yieldingAbsorbed(
  db: EngineReader,
  head: {
    readonly descriptor: RegionDescriptor;
    readonly absorbed: readonly number[];
    readonly absorbedInto?: ReadonlyMap<number, number>;
  },
): number[] {
  const image = head.descriptor.id;
  return head.absorbed.filter((s) => yieldsTo(db, image, s, head.absorbedInto?.get(s) ?? image));
}

/** Whether `source`, merged into `into` per an image of region `image`, may yield to it here. */
export function yieldsTo(db: EngineReader, image: number, source: number, into: number): boolean {
  if (into === image || readDescriptor(db, into) === undefined) return true;
  if (readMergeState(db, into)?.stage === "merged") return true;
  return readMergedSource(db, into, source) !== undefined;
}
