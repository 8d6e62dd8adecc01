/**
 * Cursor over one sorted, non-overlapping level (≥ 1): the concatenation of
 * its tables, each opened only when reached.
 */
import type { TableCache } from "../cache/table_cache.ts";
import type { FileMeta } from "../version/version_edit.ts";
import { findFile } from "../version/version.ts";
import type { Cursor } from "./cursor.ts";
import { TwoLevelCursor } from "./two_level.ts";

export class LevelCursor extends TwoLevelCursor {
  constructor(files: readonly FileMeta[], tables: TableCache, fillCache = true) {
    super({
      partCount: files.length,
      openPart: (i: number): Cursor => {
        const f = files[i];
        return tables.get(f.number, f.size).cursor(fillCache);
      },
      findPart: (key: Uint8Array) => findFile(files, key),
    }, "level");
  }
}
