/**
 * Where a compaction cuts its output tables besides their size (the `tableCuts` option; RocksDB
 * calls this an SST partitioner, and TiKV cuts at region boundaries with one). A table never
 * holds keys of two parts, so a part whose keys are written in ascending order over time keeps
 * tables that overlap nothing newer below them: a compaction that picks one moves it down a
 * level without rewriting it (compactor.ts `isTrivialMove`), and those bytes are written once
 * per flush and once into level 1 rather than once per level.
 *
 * `"kv"`: TinyKV's keyspace (docs/formats.md): each region's change feed, the records
 * `0x10 regionId:u64be 0x03 revision sub`, is a part of its own — revisions only grow within a
 * region, so a feed's new records always sort after its older ones — and everything else is one
 * part. The feed carries a copy of every value written, about half of what a SET stores.
 * Flushes are not cut (a level-0 table is one flush, and level 0's limits count tables).
 */
export type TableCuts = "none" | "kv";
export const TABLE_CUTS: readonly TableCuts[] = ["none", "kv"];

const REGION_LOCAL = 0x10;
const FEED_KIND = 0x03;
/** `0x10`, the region id's 8 bytes, the kind byte. */
const FEED_PREFIX_BYTES = 10;

/** Whether `key` is a change-feed record (docs/formats.md, region-local keyspace). */
function isFeed(key: Uint8Array): boolean {
  return key.length >= FEED_PREFIX_BYTES && key[0] === REGION_LOCAL && key[9] === FEED_KIND;
}

/**
 * The same for a key given as `buf[off, off+len)`: under `kv`, blob files keep feed values
 * apart from the rest (blob/blob_outputs.ts), so a file of feed values dies whole when the
 * history before it is compacted away.
 */
export function isFeedRange(cuts: TableCuts, buf: Uint8Array, off: number, len: number): boolean {
  return cuts === "kv" && len >= FEED_PREFIX_BYTES && buf[off] === REGION_LOCAL &&
    buf[off + 9] === FEED_KIND;
}

/**
 * The `kv` rule's part of the last key a table took, compared with each new user key: `crosses`
 * says whether a table must end before it. (`none` needs no part: output_set.ts makes none.)
 */
export class TablePart {
  #feed = false;
  readonly #region = new Uint8Array(8);

  /** Whether `key` belongs to another part than the key `enter` was last given. */
  crosses(key: Uint8Array): boolean {
    const feed = isFeed(key);
    if (feed !== this.#feed) return true;
    if (!feed) return false;
    const r = this.#region;
    for (let i = 0; i < 8; i++) if (key[1 + i] !== r[i]) return true;
    return false;
  }

  /** Notes the part of `key`, the first of a table or of a new user key within it. */
  enter(key: Uint8Array): void {
    this.#feed = isFeed(key);
    if (this.#feed) { for (let i = 0; i < 8; i++) this.#region[i] = key[1 + i]; }
  }
}
