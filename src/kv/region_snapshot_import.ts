/**
 * Installing one region's snapshot image into a node's shared engine without touching any
 * other region's data (docs/regions.md "Region snapshots"):
 *
 * 1. the image is read once and verified (SnapshotImporter: lengths, count, checksum;
 *    RegionImageFilter: order, ranges, format, applied index) — a bad image changes nothing;
 * 2. a durable marker (`applying`, with the incoming descriptor) is written;
 * 3. the region's owned ranges are emptied in bounded batches (region_range_clear.ts);
 * 4. the image is read again and its records written in bounded batches (node-wide meta
 *    records skipped, a lease written only when the node lacks it);
 * 5. one last batch writes the descriptor, the applied index (the snapshot's) and removes
 *    the marker.
 *
 * A crash between 2 and 5 leaves the marker: the next open empties the region and reports it
 * uninitialized (region_import_recovery.ts). An image that fails the second read (it changed
 * between the reads) leaves the region the same way. The image is read twice, so the caller
 * hands a function that streams it from the start (a staged file, an engine snapshot); memory
 * stays at one piece plus one batch. The host closes the region's state machine before and
 * opens it again after: its counters and sessions are cached in memory.
 *
 * Every write of it is one bounded `step` (a node runs each on its engine's lock and yields a
 * timer turn after: region_image_install.ts), so the node's other regions apply between them
 * rather than wait seconds for a large image. What reads and then writes (a lease the node may
 * lack, a range's records to delete) does both inside one step.
 */
import {
  KEY_BYTES_MAX,
  VALUE_BYTES_MAX,
  WRITE_BATCH_BYTES_MAX,
  WRITE_BATCH_OPS_MAX,
} from "../limits.ts";
import { REGION_IMPORT_BATCH_BYTES, REGION_IMPORT_BATCH_OPS } from "../limits_ops.ts";
import { checkDescriptor, overlaps, type RegionDescriptor } from "../region/descriptor.ts";
import { readMergeState } from "./region_merge_state.ts";
import type { WriteOp } from "../storage/db.ts";
import { assert } from "../util/assert.ts";
import { errorMessage, ImageOverlapError, InvalidArgumentError } from "../util/errors.ts";
import { encodeApplied } from "./keyspace.ts";
import { SnapshotImporter } from "./kv_snapshot.ts";
import { descriptorKey, encodeDescriptor, readAllDescriptors } from "./region_descriptor_record.ts";
import { type RecordClass, RegionImageFilter } from "./region_image_filter.ts";
import { encodeImportMarker, importMarkerKey } from "./region_import_marker.ts";
import {
  type BatchBounds,
  type BatchStep,
  boundsOf,
  clearRegionRanges,
  type RegionDb,
} from "./region_range_clear.ts";
import { regionKeys } from "./region_keys.ts";

assert(REGION_IMPORT_BATCH_OPS <= WRITE_BATCH_OPS_MAX, "an import batch fits an engine batch");
assert(
  REGION_IMPORT_BATCH_BYTES + KEY_BYTES_MAX + VALUE_BYTES_MAX <= WRITE_BATCH_BYTES_MAX,
  "an import batch (its bound plus one record) fits an engine batch",
);

/** A region's snapshot: what the sender's Raft snapshot says, and its image. */
export interface RegionImage {
  /** The region as of the snapshot: its range decides which records the image may hold. */
  readonly descriptor: RegionDescriptor;
  /** The snapshot's Raft index: the region's applied index once installed. */
  readonly index: number;
  /** The image (kv_snapshot.ts's stream), from its start each call: it is read twice. */
  readonly stream: () => AsyncIterable<Uint8Array>;
  /**
   * Regions the image's records say this one took in by a merge (merged_sources.ts): gone, so a
   * local replica of one left in its range (re-made by a replayed split) does not block it.
   */
  readonly absorbed?: readonly number[];
}

const AT_ONCE: BatchStep = (run) => run();

export interface RegionImportReport {
  /** Records in the image. */
  readonly entries: number;
  /** Records of the region's old state deleted. */
  readonly cleared: number;
  /** Records written (leases the node held already and node-wide meta records are not). */
  readonly written: number;
}

/** Installs `image` as its region's whole state; other regions' records stay as they are. */
export async function importRegionSnapshot(
  db: RegionDb,
  image: RegionImage,
  bounds: BatchBounds = {},
  step: BatchStep = AT_ONCE,
): Promise<RegionImportReport> {
  const d = image.descriptor;
  await step(() => Promise.resolve(checkTarget(db, image)));
  const name = `region ${d.id} snapshot`;
  const entries = await readImage(image, new RegionImageFilter(db, d, image.index, name));
  const marker = importMarkerKey(d.id);
  await step(async () => {
    checkTarget(db, image); // again: another region may have come since
    await db.write([{ type: "put", key: marker, value: encodeImportMarker(applying(d)) }]);
  });
  const cleared = await clearRegionRanges(db, d, [marker], { ...bounds, step });
  const writer = new BatchWriter(db, boundsOf(bounds), step);
  try {
    const filter = new RegionImageFilter(db, d, image.index, name, writer.add);
    await readImage(image, filter);
    await writer.end();
  } catch (err) {
    await leaveUninitialized(db, d, bounds, step);
    throw err;
  }
  // The memtable is rotated on the lock and written after it (others apply meanwhile); the
  // import is durable once that flush is done, before its caller saves the snapshot's marker.
  const flushed = await step(async () => {
    await db.write([
      { type: "put", key: descriptorKey(d.id), value: encodeDescriptor(d) },
      { type: "put", key: regionKeys(d.id).applied, value: encodeApplied(image.index) },
      { type: "del", key: marker },
    ]);
    return { done: db.flush() };
  });
  await flushed.done;
  return { entries, cleared, written: writer.written };
}

const applying = (descriptor: RegionDescriptor) => ({ state: "applying" as const, descriptor });

/**
 * Empties region `d`'s owned ranges and leaves it an uninitialized replica: its descriptor and
 * an `awaiting` marker, applied index 0 (the import's failure path and crash recovery).
 */
export async function leaveUninitialized(
  db: RegionDb,
  d: RegionDescriptor,
  bounds: BatchBounds = {},
  step: BatchStep = AT_ONCE,
): Promise<void> {
  const marker = importMarkerKey(d.id);
  await clearRegionRanges(db, d, [marker], { ...bounds, step });
  await step(async () => {
    await db.write([
      { type: "put", key: descriptorKey(d.id), value: encodeDescriptor(d) },
      { type: "put", key: marker, value: encodeImportMarker({ state: "awaiting", descriptor: d }) },
    ]);
    await db.flush();
  });
}

/** Refuses a snapshot whose metadata is invalid or whose range another local region holds. */
function checkTarget(db: RegionDb, image: RegionImage): void {
  const d = image.descriptor;
  try {
    checkDescriptor(d);
  } catch (err) {
    throw new InvalidArgumentError(`region snapshot: ${errorMessage(err)}`);
  }
  if (!Number.isSafeInteger(image.index) || image.index < 1) {
    throw new InvalidArgumentError(`region snapshot at index ${image.index}`);
  }
  for (const local of readAllDescriptors(db)) {
    // A merge's source prepared for this region: the image is past the commit that took it in.
    // A region merged away (its removal cut by a crash, say): its keys are its target's now.
    // So is one the image records absorbed (its replica here is dropped once this installs).
    const merge = readMergeState(db, local.id);
    if (merge?.target.id === d.id || merge?.stage === "merged") continue;
    if (image.absorbed?.includes(local.id) === true) continue;
    if (local.id !== d.id && overlaps(local, d)) {
      throw new ImageOverlapError(
        `region ${d.id}'s snapshot overlaps local region ${local.id}: it catches up first`,
      );
    }
  }
}

/** Streams the image through `filter`; returns its record count once count and crc check. */
async function readImage(image: RegionImage, filter: RegionImageFilter): Promise<number> {
  const importer = new SnapshotImporter(filter, filter.name);
  for await (const piece of image.stream()) await importer.push(piece);
  await importer.finish();
  return importer.entries;
}

/** Writes the image's records in batches bounded in operations and bytes. */
class BatchWriter {
  #batch: WriteOp[] = [];
  /** Leases in the batch: written only if the node still lacks them when the batch is. */
  #leases = new Set<WriteOp>();
  #bytes = 0;
  written = 0;

  constructor(
    readonly db: RegionDb,
    readonly bounds: Required<BatchBounds>,
    readonly step: BatchStep,
  ) {}

  add = async (key: Uint8Array, value: Uint8Array, cls: RecordClass): Promise<void> => {
    if (cls === "held" || cls === "node-meta") return;
    const op: WriteOp = { type: "put", key: key.slice(), value: value.slice() };
    this.#batch.push(op);
    if (cls === "lease") this.#leases.add(op);
    this.#bytes += key.length + value.length;
    if (this.#batch.length >= this.bounds.ops || this.#bytes >= this.bounds.bytes) {
      await this.end();
    }
  };

  async end(): Promise<void> {
    if (this.#batch.length === 0) return;
    const all = this.#batch, leases = this.#leases;
    this.#batch = [];
    this.#leases = new Set();
    this.#bytes = 0;
    await this.step(async () => {
      // Leases are node-wide until they move to the placement group: a region's image adds
      // one the node lacks (its keys' attachments need it) but never rewrites or drops one.
      const batch = leases.size === 0
        ? all
        : all.filter((op) => !leases.has(op) || this.db.get(op.key) === undefined);
      if (batch.length > 0) await this.db.write(batch);
      this.written += batch.length;
    });
  }
}
