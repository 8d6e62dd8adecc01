/**
 * The level-1 tables a level-0 compaction takes (docs/storage.md "Level sizes"). LevelDB takes
 * every level-1 table inside the key range the level-0 inputs span. A node's flush spans its whole
 * keyspace — random current records below, each region's change feed above — so every level-1
 * table lay inside it, and a feed's tables there (cut apart from the rest: table_cuts.ts) were
 * rewritten by each level-0 compaction until they moved down, however large level 1 is.
 *
 * Here a level-1 table is taken only when some input holds a key within its range (one seek per
 * input whose range meets it). The others stay where they are, and the compaction's output tables
 * end before each one's first key (its fence), so level 1 stays free of overlaps: no key the
 * merge writes lies within a table left out (the inputs hold none, and level 1's tables do not
 * overlap one another).
 */
import { compareBytes } from "../../util/bytes.ts";
import type { TableCache } from "../cache/table_cache.ts";
import { userKeyOf } from "../internal_key.ts";
import type { FileMeta } from "../version/version_edit.ts";
import type { Compaction } from "./picker.ts";

export interface LevelOneInputs {
  /** The level-1 tables the merge takes. */
  readonly next: readonly FileMeta[];
  /** The first user key of each level-1 table left out, in order: outputs end before them. */
  readonly fences: Uint8Array[];
}

export function levelOneInputs(tables: TableCache, c: Compaction): LevelOneInputs {
  const next: FileMeta[] = [], fences: Uint8Array[] = [];
  for (const f of c.next) {
    const lo = userKeyOf(f.smallest), hi = userKeyOf(f.largest);
    if (c.inputs.some((t) => holdsKeyWithin(tables, t, lo, hi))) next.push(f);
    else fences.push(lo);
  }
  return { next, fences };
}

/** Whether table `t` holds a user key in [lo, hi]. */
function holdsKeyWithin(tables: TableCache, t: FileMeta, lo: Uint8Array, hi: Uint8Array) {
  if (compareBytes(userKeyOf(t.largest), lo) < 0 || compareBytes(userKeyOf(t.smallest), hi) > 0) {
    return false;
  }
  const c = tables.get(t.number, t.size).cursor(false);
  c.seek(lo, Number.MAX_SAFE_INTEGER);
  return c.valid() && compareBytes(c.key(), hi) <= 0;
}
