/**
 * A Version: the set of live tables per level at one point in time. Level 0
 * tables may overlap (newest first); each level ≥ 1 is sorted by key with no
 * overlap. Versions are immutable; an edit produces the next one.
 */
import { compareBytes } from "../../util/bytes.ts";
import type { TableCache } from "../cache/table_cache.ts";
import { compareInternalKeys, userKeyOf, ValueKind } from "../internal_key.ts";
import type { TableEntry } from "../sstable/table_reader.ts";
import { PackedKeys } from "./packed_keys.ts";
import { type FileMeta, NUM_LEVELS, type VersionEdit } from "./version_edit.ts";

export class Version {
  /** Readers (scans, compactions) using this version; files stay until it is 0. */
  refs = 0;

  /** User-key bounds of each table, per level, computed once (packed: packed_keys.ts). */
  readonly #lo: PackedKeys[];
  readonly #hi: PackedKeys[];

  constructor(readonly levels: readonly (readonly FileMeta[])[]) {
    this.#lo = levels.map((fs) => new PackedKeys(fs.map((f) => userKeyOf(f.smallest))));
    this.#hi = levels.map((fs) => new PackedKeys(fs.map((f) => userKeyOf(f.largest))));
  }

  static empty(): Version {
    return new Version(Array.from({ length: NUM_LEVELS }, () => []));
  }

  /** The version after `edit`. */
  apply(edit: VersionEdit): Version {
    const levels: FileMeta[][] = this.levels.map((l) => [...l]);
    for (const [level, n] of edit.deleted) {
      levels[level] = levels[level].filter((f) => f.number !== n);
    }
    for (const [level, f] of edit.added) levels[level].push(f);
    levels[0].sort((a, b) => b.number - a.number);
    for (let l = 1; l < NUM_LEVELS; l++) {
      levels[l].sort((a, b) => compareInternalKeys(a.smallest, b.smallest));
    }
    return new Version(levels);
  }

  levelBytes(level: number): number {
    let n = 0;
    for (const f of this.levels[level]) n += f.size;
    return n;
  }

  /** Newest entry for `key` at `seq` in the tables, or undefined. */
  get(key: Uint8Array, seq: number, hash: number, tables: TableCache): TableEntry | undefined {
    const l0 = this.levels[0], lo0 = this.#lo[0], hi0 = this.#hi[0];
    for (let i = 0; i < l0.length; i++) {
      if (lo0.compare(i, key) > 0 || hi0.compare(i, key) < 0) continue;
      const e = tables.get(l0[i].number, l0[i].size).get(key, seq, hash);
      if (e !== undefined) return e;
    }
    for (let level = 1; level < NUM_LEVELS; level++) {
      const files = this.levels[level], his = this.#hi[level];
      if (files.length === 0) continue;
      let a = 0, b = files.length;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (his.compare(mid, key) < 0) a = mid + 1;
        else b = mid;
      }
      if (a >= files.length || this.#lo[level].compare(a, key) > 0) continue;
      const e = tables.get(files[a].number, files[a].size).get(key, seq, hash);
      if (e !== undefined) return e;
    }
    return undefined;
  }

  /** Files of `level` whose user-key range meets [start, end] (inclusive; undefined = open). */
  overlapping(level: number, start?: Uint8Array, end?: Uint8Array): FileMeta[] {
    return this.levels[level].filter((f) =>
      (end === undefined || compareBytes(userKeyOf(f.smallest), end) <= 0) &&
      (start === undefined || compareBytes(userKeyOf(f.largest), start) >= 0)
    );
  }
}

/** First file in a sorted level whose largest user key is ≥ `key`. */
export function findFile(files: readonly FileMeta[], key: Uint8Array): number {
  let lo = 0;
  let hi = files.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes(userKeyOf(files[mid].largest), key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export { ValueKind };
