/**
 * Runs one compaction: merges the inputs of level L and the overlapping
 * tables of L+1 into new L+1 tables, in bounded steps (it yields every
 * COMPACTION_STEP_ENTRIES entries so reads and writes keep flowing), then
 * installs the result with one manifest edit. Entries are dropped only when
 * no snapshot can see them (leveldb DoCompactionWork).
 */
import { COMPACTION_STEP_ENTRIES } from "../../limits.ts";
import { assert } from "../../util/assert.ts";
import { compareBytes, equalBytes } from "../../util/bytes.ts";
import type { DbState } from "../db_state.ts";
import { userKeyOf, ValueKind } from "../internal_key.ts";
import type { Cursor } from "../iterator/cursor.ts";
import { LevelCursor } from "../iterator/level_cursor.ts";
import { MergingCursor } from "../iterator/merging.ts";
import type { Version } from "../version/version.ts";
import { NUM_LEVELS, VersionEdit } from "../version/version_edit.ts";
import { OutputSet } from "./output_set.ts";
import type { Compaction } from "./picker.ts";

/** True when no level below `outLevel` can hold `key`. */
function isBaseLevelFor(v: Version, outLevel: number, key: Uint8Array): boolean {
  for (let l = outLevel + 1; l < NUM_LEVELS; l++) {
    for (const f of v.levels[l]) {
      if (
        compareBytes(key, userKeyOf(f.smallest)) >= 0 &&
        compareBytes(key, userKeyOf(f.largest)) <= 0
      ) {
        return false;
      }
    }
  }
  return true;
}

/** Moves a single table down a level with no rewrite, when nothing overlaps it. */
export function isTrivialMove(c: Compaction): boolean {
  return c.inputs.length === 1 && c.next.length === 0;
}

export async function runCompaction(s: DbState, c: Compaction): Promise<void> {
  const edit = new VersionEdit();
  const outLevel = c.level + 1;
  if (isTrivialMove(c)) {
    const f = c.inputs[0];
    edit.deleted.push([c.level, f.number]);
    edit.added.push([outLevel, f]);
    edit.compactPointers.push([c.level, f.largest]);
    await s.vs.logAndApply(edit);
    s.counters.trivialMoves++;
    return;
  }
  const t0 = s.options.clock?.nowMs() ?? 0;
  const v = s.vs.current;
  s.vs.pin(v);
  const out = new OutputSet(s, s.options.tableFileBytes);
  try {
    const children: Cursor[] = c.level === 0
      ? c.inputs.map((f) => s.tables.get(f.number, f.size).cursor(false))
      : [new LevelCursor(c.inputs, s.tables, false)];
    children.push(new LevelCursor(c.next, s.tables, false));
    await mergeInto(s, v, new MergingCursor(children), out, outLevel);
    const outputs = await out.finish();
    for (const f of c.inputs) edit.deleted.push([c.level, f.number]);
    for (const f of c.next) edit.deleted.push([outLevel, f.number]);
    for (const f of outputs) edit.added.push([outLevel, f]);
    edit.compactPointers.push([c.level, c.inputs[c.inputs.length - 1].largest]);
    if (s.closed || s.failed !== undefined) return;
    await s.vs.logAndApply(edit);
    s.counters.compactions++;
    s.counters.compactionBytesWritten += out.bytesWritten;
    let bytesIn = 0;
    for (const f of [...c.inputs, ...c.next]) bytesIn += f.size;
    s.counters.compactionBytesRead += bytesIn;
    const ms = (s.options.clock?.nowMs() ?? 0) - t0;
    s.options.onCompaction?.({ level: c.level, bytesIn, bytesOut: out.bytesWritten, ms });
  } finally {
    out.release();
    s.vs.unpin(v);
  }
}

async function mergeInto(
  s: DbState,
  v: Version,
  merge: MergingCursor,
  out: OutputSet,
  outLevel: number,
): Promise<void> {
  const smallestSnapshot = s.smallestSnapshot();
  let current: Uint8Array | undefined;
  let lastSeqForKey = Number.MAX_SAFE_INTEGER;
  let steps = 0;
  for (merge.seekToFirst(); merge.valid(); merge.next()) {
    const key = merge.key();
    const seq = merge.seq();
    const kind = merge.kind();
    const newKey = current === undefined || !equalBytes(key, current);
    if (newKey) {
      current = key.slice();
      lastSeqForKey = Number.MAX_SAFE_INTEGER;
    }
    // The merge yields a key's versions newest first; the drop rules rely on it.
    assert(seq < lastSeqForKey, `compaction input out of order at sequence ${seq}`);
    let drop = false;
    if (lastSeqForKey <= smallestSnapshot) {
      drop = true; // a newer entry for this key is visible to every snapshot
    } else if (
      kind === ValueKind.Delete && seq <= smallestSnapshot && isBaseLevelFor(v, outLevel, key)
    ) {
      drop = true; // nothing older below, and every snapshot sees the deletion
    }
    lastSeqForKey = seq;
    if (!drop) await out.add(key, seq, kind, merge.value(), newKey);
    if (++steps % COMPACTION_STEP_ENTRIES === 0) {
      await s.yieldNow();
      if (s.closed || s.failed !== undefined) return;
    }
  }
}
