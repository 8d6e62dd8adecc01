/**
 * Region snapshots on a node holding many regions (docs/regions.md "The node holding many
 * regions"). Once regions split, no snapshot may replace the whole engine: the other regions'
 * records live in it. A region's image is its key range of the engine plus its region-local
 * records (kv_snapshot.ts with the region's scope), streamed out of band in chunks like region
 * 1's whole-engine image, and assembled by the receiver (bounded by MULTI_SNAPSHOT_BYTES_MAX;
 * a region is bounded by the split size). Installing it is `importRegionSnapshot`: only that
 * region's records are replaced, the other regions keep every byte.
 *
 * The image is read from one engine snapshot, taken when the stream starts, so it may be newer
 * than the Raft snapshot that asked for it (as region 1's always was): the receiver reads the
 * region's descriptor and applied index from the image itself and imports at that index; Raft
 * then re-sends the entries after its marker, which the region skips as applied.
 */
import { exportSnapshot, SnapshotImporter } from "../../kv/kv_snapshot.ts";
import { decodeApplied } from "../../kv/keyspace.ts";
import { decodeDescriptor, descriptorKey } from "../../kv/region_descriptor_record.ts";
import { DEFAULT_REGION_ID, regionKeys } from "../../kv/region_keys.ts";
import { importRegionSnapshot } from "../../kv/region_snapshot_import.ts";
import { decodeMergedSource, mergedSourceOf } from "../../kv/merged_sources.ts";
import { MULTI_SNAPSHOT_CHUNK_BYTES } from "../../limits_ops.ts";
import type { RegionDescriptor } from "../../region/descriptor.ts";
import type { ConfState, Snapshot } from "../../raft/core/messages.ts";
import { impliedDescriptor } from "./region_members.ts";
import { yieldingAbsorbed } from "./region_image_screen.ts";
import type { Db, WriteOp } from "../../storage/db.ts";
import { equalBytes, toBytes } from "../../util/bytes.ts";
import { CorruptionError } from "../../util/errors.ts";

/** Streams region `id`'s image as of the moment the stream starts (its descriptor then). */
export function regionImageSource(
  db: () => Db,
  id: number,
  descriptor: () => RegionDescriptor,
): () => AsyncIterable<Uint8Array> {
  return async function* () {
    // Read together with the engine snapshot exportSnapshot takes before its first yield.
    const span = descriptor();
    yield* exportSnapshot(db(), MULTI_SNAPSHOT_CHUNK_BYTES, { region: regionKeys(id), span });
  };
}

/**
 * The descriptor and applied index an image of region `id` holds. With `pause`, the image is read
 * in slices with a pause after each (region_image_install.ts): a large image is read for a while.
 *
 * Region 1 has no descriptor record until it first splits or changes members, so neither has its
 * image then: given the snapshot's configuration (`confState`), the head is the descriptor that
 * record-less region has (region_members.ts `impliedDescriptor`). Refused instead, a node with
 * splitting on whose region 1 had not split never caught up a replica that needed a snapshot:
 * its leader sent it images for good.
 *
 * `absorbed`: the sources the region's merged-source records name (merged_sources.ts), which
 * prove those regions gone: a local replica of one may yield to the image (region_image_screen).
 */
export async function imageHead(
  id: number,
  image: Uint8Array,
  pause?: () => Promise<void>,
  confState?: ConfState,
): Promise<ImageHead> {
  const dKey = descriptorKey(id), aKey = regionKeys(id).applied;
  let descriptor: RegionDescriptor | undefined;
  const absorbed: number[] = [];
  const absorbedInto = new Map<number, number>();
  let index = 0;
  const sink = {
    write(ops: readonly WriteOp[]): Promise<void> {
      for (const op of ops) {
        if (op.type !== "put") continue;
        const key = toBytes(op.key);
        if (equalBytes(key, dKey)) descriptor = decodeDescriptor(toBytes(op.value));
        else if (equalBytes(key, aKey)) index = decodeApplied(toBytes(op.value));
        else {
          const source = mergedSourceOf(id, key);
          if (source === undefined) continue;
          absorbed.push(source);
          absorbedInto.set(source, decodeMergedSource(id, toBytes(op.value)).target);
        }
      }
      return Promise.resolve();
    },
    flush: () => Promise.resolve(),
  };
  const importer = new SnapshotImporter(sink, `region ${id} snapshot`);
  if (pause === undefined) await importer.push(image);
  else for await (const slice of pacedSlices(image, pause)) await importer.push(slice);
  await importer.finish();
  if (descriptor === undefined && id === DEFAULT_REGION_ID && confState !== undefined) {
    descriptor = impliedDescriptor(id, confState);
  }
  if (descriptor === undefined || descriptor.id !== id || index < 1) {
    throw new CorruptionError(`region ${id} snapshot`, 0, "no descriptor or applied index");
  }
  return { descriptor, index, absorbed, absorbedInto };
}

/** What a region image says of itself before it is installed (imageHead). */
export interface ImageHead {
  readonly descriptor: RegionDescriptor;
  readonly index: number;
  /** Regions this one or an ancestor took in by a merge, per its records (merged_sources.ts). */
  readonly absorbed: readonly number[];
  /** The region each of `absorbed` was merged into (this one, or the ancestor a split copied). */
  readonly absorbedInto?: ReadonlyMap<number, number>;
}

/** `imageHead` of a Raft snapshot's image (its configuration given for region 1's). */
export function snapshotHead(
  id: number,
  snapshot: Snapshot,
  pause?: () => Promise<void>,
): Promise<ImageHead> {
  return imageHead(id, snapshot.data, pause, snapshot.metadata.confState);
}

/** Installs an assembled image of region `id` into the shared engine (the region's records). */
export async function installRegionImage(db: Db, id: number, image: Uint8Array): Promise<number> {
  const head = await imageHead(id, image);
  const { descriptor, index } = head, absorbed = yieldingAbsorbed(db, head);
  await importRegionSnapshot(db, { descriptor, index, absorbed, stream: () => oneChunk(image) });
  return index;
}

/** Whether a Raft snapshot's data is a region image (not region 1's marker, not empty). */
export function isRegionImage(data: Uint8Array, marker: Uint8Array): boolean {
  return data.length > 0 && !equalBytes(data, marker);
}

async function* oneChunk(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

/** A snapshot without an image (its marker, at a restart): the engine must hold it already. */
export function refuseSnapshot(id: number, kv: { appliedIndex: number }, snapshot: Snapshot): void {
  if (snapshot.metadata.index <= Math.max(1, kv.appliedIndex)) return;
  throw new Error(`region ${id}: a snapshot at ${snapshot.metadata.index} came without an image`);
}

/** `image` in MULTI_SNAPSHOT_CHUNK_BYTES slices, a timer turn after each. */
export async function* pacedSlices(
  image: Uint8Array,
  pause: () => Promise<void>,
): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < image.length; at += MULTI_SNAPSHOT_CHUNK_BYTES) {
    yield image.subarray(at, Math.min(image.length, at + MULTI_SNAPSHOT_CHUNK_BYTES));
    await pause();
  }
}
