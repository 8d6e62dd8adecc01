/**
 * Judges each record of a region's snapshot image before it may touch a shared engine
 * (docs/regions.md "Region snapshots"): keys strictly ascending, each inside one of the
 * region's snapshot ranges (its key range's shared records, its own `0x10 regionId` records,
 * the node-wide meta and lease records), no marker record, the data format the node's own,
 * and the image's applied index the snapshot's index. It sits between a SnapshotImporter
 * (which checks lengths, the count and the checksum) and what writes the records, if anything.
 */
import type { RegionDescriptor } from "../region/descriptor.ts";
import type { WriteOp } from "../storage/db.ts";
import { compareBytes, toBytes } from "../util/bytes.ts";
import { CorruptionError, errorMessage } from "../util/errors.ts";
import { decodeApplied } from "./keyspace.ts";
import type { SnapshotSink } from "./kv_snapshot.ts";
import { MvccNamespace } from "./mvcc_keys.ts";
import { descriptorKey } from "./region_descriptor_record.ts";
import { importMarkerKey } from "./region_import_marker.ts";
import { regionKeys } from "./region_keys.ts";
import { FORMAT_KEY } from "./region_migration.ts";
import { imageRanges } from "./region_range_clear.ts";
import type { EngineReader } from "./write_set.ts";

/**
 * What a record of the image is: the region's own (written as is), node-wide meta (never
 * written: the node keeps its own), a lease (written only when the node lacks it), or one of
 * the records the import's last batch writes from the snapshot's metadata (descriptor, applied).
 */
export type RecordClass = "owned" | "node-meta" | "lease" | "held";

export type RecordSink = (key: Uint8Array, value: Uint8Array, cls: RecordClass) => Promise<void>;

const same = (a: Uint8Array, b: Uint8Array) => compareBytes(a, b) === 0;

export class RegionImageFilter implements SnapshotSink {
  readonly #ranges;
  #at = 0;
  #prev: Uint8Array | undefined;
  readonly #marker: Uint8Array;
  readonly #applied: Uint8Array;
  readonly #descriptor: Uint8Array;

  constructor(
    readonly db: EngineReader,
    readonly d: RegionDescriptor,
    readonly index: number,
    readonly name: string,
    readonly out?: RecordSink,
  ) {
    this.#ranges = imageRanges(d);
    this.#marker = importMarkerKey(d.id);
    this.#applied = regionKeys(d.id).applied;
    this.#descriptor = descriptorKey(d.id);
  }

  async write(ops: readonly WriteOp[]): Promise<void> {
    for (const op of ops) {
      if (op.type !== "put") throw this.#refuse("not a record");
      const key = toBytes(op.key), value = toBytes(op.value);
      const cls = this.#classify(key, value);
      if (this.out !== undefined) await this.out(key, value, cls);
    }
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  #classify(key: Uint8Array, value: Uint8Array): RecordClass {
    if (this.#prev !== undefined && compareBytes(this.#prev, key) >= 0) {
      throw this.#refuse("records out of key order");
    }
    this.#prev = key;
    const ranges = this.#ranges;
    while (this.#at < ranges.length && compareBytes(key, ranges[this.#at].end) >= 0) this.#at++;
    const r = ranges[this.#at];
    if (r === undefined || compareBytes(key, r.start) < 0 || (r.keep && !r.keep(key))) {
      throw this.#refuse("a record outside the region's ranges");
    }
    if (!r.owned) return key[0] === MvccNamespace.Lease ? "lease" : this.#nodeMeta(key, value);
    if (same(key, this.#marker)) throw this.#refuse("an unfinished region's image");
    if (same(key, this.#descriptor)) return "held";
    if (!same(key, this.#applied)) return "owned";
    let applied: number;
    try {
      applied = decodeApplied(value);
    } catch (err) {
      throw this.#refuse(errorMessage(err));
    }
    if (applied !== this.index) {
      throw this.#refuse(`applied index ${applied}, the snapshot's is ${this.index}`);
    }
    return "held";
  }

  #nodeMeta(key: Uint8Array, value: Uint8Array): RecordClass {
    if (!same(key, FORMAT_KEY)) return "node-meta";
    const local = this.db.get(FORMAT_KEY);
    if (local !== undefined && !same(local, value)) {
      throw this.#refuse("the image's data format is not this node's");
    }
    return "node-meta";
  }

  #refuse(reason: string): CorruptionError {
    return new CorruptionError(this.name, 0, reason);
  }
}
