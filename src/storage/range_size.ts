/**
 * How many bytes a key range takes in the tables, and the keys that cut it
 * into parts of about equal size, from the tables' in-memory indexes alone
 * (no data block is read). A region's split check asks these (decision 0014
 * §5, docs/regions.md "Size and split keys"): a range of the shared engine
 * becomes two regions without moving data, at a key near the middle of its
 * bytes.
 *
 * - Sizes are on-disk bytes: compressed blocks count as stored, and every
 *   level's copy of a key counts (what a region costs the disk, not the user
 *   data it holds).
 * - The memtables are not counted: a region adds what it applied since the
 *   last flush from its own counter.
 * - A table wholly inside the range counts its file size; a table it cuts
 *   counts the data blocks between the two boundary offsets, so the error is
 *   at most one block per table at each end.
 */
import { compareBytes, toBytes } from "../util/bytes.ts";
import { ClosedError, InvalidArgumentError } from "../util/errors.ts";
import type { TableCache } from "./cache/table_cache.ts";
import type { DbState } from "./db_state.ts";
import { userKeyOf } from "./internal_key.ts";
import type { FileMeta } from "./version/version_edit.ts";
import type { Version } from "./version/version.ts";
import type { KeyLike } from "./write_batch.ts";

/** Keys from `start` (inclusive) to `end` (exclusive; undefined: to the end of the keyspace). */
export interface KeyRange {
  readonly start: Uint8Array;
  readonly end: Uint8Array | undefined;
}

/** The tables (and their levels) whose key range meets `r`. */
function* tablesIn(v: Version, r: KeyRange): Generator<FileMeta> {
  for (let level = 0; level < v.levels.length; level++) {
    for (const f of v.overlapping(level, r.start, r.end)) {
      // `overlapping` takes an inclusive end: a table starting at `end` is outside.
      if (r.end !== undefined && compareBytes(userKeyOf(f.smallest), r.end) >= 0) continue;
      yield f;
    }
  }
}

function whollyInside(f: FileMeta, r: KeyRange): boolean {
  return compareBytes(r.start, userKeyOf(f.smallest)) <= 0 &&
    (r.end === undefined || compareBytes(userKeyOf(f.largest), r.end) < 0);
}

/**
 * A table's bytes count for its blob values too: each of its bytes stands for
 * (size + blobBytes) / size of the data (a table of references is small next to its values).
 */
function blobScale(f: FileMeta): number {
  return f.blobBytes === undefined ? 1 : (f.size + f.blobBytes) / f.size;
}

/** Approximate bytes the tables (and the blob values they reference) hold for keys in `r`. */
export function approximateSize(v: Version, tables: TableCache, r: KeyRange): number {
  let total = 0;
  for (const f of tablesIn(v, r)) {
    if (whollyInside(f, r)) {
      total += f.size + (f.blobBytes ?? 0);
      continue;
    }
    const t = tables.get(f.number, f.size);
    const from = t.offsetOf(r.start);
    const to = r.end === undefined ? t.dataBytes : t.offsetOf(r.end);
    total += Math.max(0, to - from) * blobScale(f);
  }
  return Math.round(total);
}

/**
 * Up to `parts - 1` keys that cut `r` into parts of about equal table bytes,
 * strictly inside the range and increasing. Fewer (none) when the range has
 * too few data blocks to cut. Each key is a data block's last key, so it is
 * a key some table holds. Costs one entry per data block in the range.
 */
export function splitKeys(
  v: Version,
  tables: TableCache,
  r: KeyRange,
  parts: number,
): Uint8Array[] {
  const blocks: { key: Uint8Array; bytes: number }[] = [];
  for (const f of tablesIn(v, r)) {
    const scale = blobScale(f);
    tables.get(f.number, f.size).forEachBlock((key, bytes) => {
      if (compareBytes(key, r.start) < 0) return;
      if (r.end !== undefined && compareBytes(key, r.end) >= 0) return;
      blocks.push({ key, bytes: bytes * scale });
    });
  }
  blocks.sort((a, b) => compareBytes(a.key, b.key));
  let total = 0;
  for (const b of blocks) total += b.bytes;
  const out: Uint8Array[] = [];
  let sum = 0;
  for (const b of blocks) {
    if (out.length >= parts - 1) break;
    sum += b.bytes;
    const prev = out.length === 0 ? r.start : out[out.length - 1];
    if (sum * parts < total * (out.length + 1) || compareBytes(b.key, prev) <= 0) continue;
    if (r.end !== undefined && compareBytes(b.key, r.end) >= 0) break;
    out.push(b.key.slice());
  }
  // A cut at the range's last block would leave a right part of one key.
  const lastKey = blocks[blocks.length - 1]?.key;
  if (lastKey !== undefined && out.length > 0 && compareBytes(out[out.length - 1], lastKey) >= 0) {
    out.pop();
  }
  return out;
}

/** `Db.approximateSize`: the size of [start, end) in the current version. */
export function rangeSize(s: DbState, start: KeyLike, end: KeyLike | undefined): number {
  if (s.closed) throw new ClosedError("database is closed");
  return approximateSize(s.vs.current, s.tables, keyRange(start, end));
}

/** `Db.splitKeys`: split keys of [start, end) in the current version. */
export function rangeSplitKeys(
  s: DbState,
  start: KeyLike,
  end: KeyLike | undefined,
  parts: number,
): Uint8Array[] {
  if (s.closed) throw new ClosedError("database is closed");
  if (!Number.isSafeInteger(parts) || parts < 2) {
    throw new InvalidArgumentError(`parts must be an integer of at least 2, got ${parts}`);
  }
  return splitKeys(s.vs.current, s.tables, keyRange(start, end), parts);
}

function keyRange(start: KeyLike, end: KeyLike | undefined): KeyRange {
  return { start: toBytes(start), end: end === undefined ? undefined : toBytes(end) };
}
