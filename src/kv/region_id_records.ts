/**
 * A region-local set of records keyed by a u64 id and bounded in number (merged_sources.ts,
 * refused_conf_changes.ts):
 *
 *   0x10 region 0x00 name id:u64be  →  value
 *
 * Region-local, they travel in the region's images. At most `kept` are kept: recording one more
 * drops the lowest ids, the same on every replica (they read the same records).
 */
import { concatBytes, equalBytes, utf8 } from "../util/bytes.ts";
import { readU64BE, writeU64BE } from "../util/coding.ts";
import { regionKeys, RegionKind } from "./region_keys.ts";
import type { EngineReader } from "./write_set.ts";

export class RegionIdRecords {
  readonly #suffix: Uint8Array;

  constructor(name: string, readonly kept: number) {
    this.#suffix = concatBytes([new Uint8Array([RegionKind.Meta]), utf8(name)]);
  }

  /** The first bytes of every key of `region`'s records. */
  prefix(region: number): Uint8Array {
    return regionKeys(region).local(this.#suffix);
  }

  key(region: number, id: number): Uint8Array {
    const at = new Uint8Array(8);
    writeU64BE(at, 0, id);
    return concatBytes([this.prefix(region), at]);
  }

  /** The id a key of `region`'s records names; undefined for every other key. */
  idOf(region: number, key: Uint8Array): number | undefined {
    const start = this.prefix(region);
    if (key.length !== start.length + 8 || !equalBytes(key.subarray(0, start.length), start)) {
      return undefined;
    }
    return readU64BE(key, start.length);
  }

  get(db: EngineReader, region: number, id: number): Uint8Array | undefined {
    return db.get(this.key(region, id));
  }

  /** Recording `id`: its key, and the keys of the lowest ids to delete past `kept`. */
  record(db: EngineReader, region: number, id: number): { key: Uint8Array; drop: Uint8Array[] } {
    const start = this.prefix(region);
    const end = concatBytes([start, new Uint8Array(8).fill(0xff), new Uint8Array([0xff])]);
    const key = this.key(region, id);
    const held: Uint8Array[] = [];
    for (const [k] of db.scanSync({ start, end })) if (!equalBytes(k, key)) held.push(k.slice());
    // Keys sort by id (u64be): the first are the lowest.
    return { key, drop: held.slice(0, Math.max(0, held.length + 1 - this.kept)) };
  }
}
