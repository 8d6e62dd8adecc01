/**
 * Chooses the next compaction (after leveldb version_set.cc PickCompaction): level 0 by file
 * count, deeper levels by size over their targets (level_targets.ts), and within a level the table
 * overlapping least below for its size, ties going round-robin from the level's compact pointer.
 */
import { L0_FILES_COMPACTION_TRIGGER } from "../../limits.ts";
import { BLOB_GARBAGE_PERCENT_COLLECT } from "../../limits_storage.ts";
import { compareBytes } from "../../util/bytes.ts";
import { compareInternalKeys, userKeyOf } from "../internal_key.ts";
import { findFile, type Version } from "../version/version.ts";
import { levelTargets } from "./level_targets.ts";
import { type FileMeta, NUM_LEVELS } from "../version/version_edit.ts";

export interface Compaction {
  readonly level: number;
  readonly inputs: readonly FileMeta[];
  /** Overlapping files of level + 1. */
  readonly next: readonly FileMeta[];
  /**
   * Picked to move live values out of a mostly-dead blob file: rewritten even with nothing
   * below to merge with (no trivial move), in place on the last level.
   */
  readonly blobCollection?: boolean;
}

/**
 * Compaction scores per level; ≥ 1 means the level needs compacting. Level 0 by its table count,
 * the others by their bytes over their targets (level_targets.ts) for a level-0 batch of
 * `batchBytes`.
 */
export function levelScores(v: Version, batchBytes: number): number[] {
  const bytes = v.levels.map((_, l) => v.levelBytes(l));
  const targets = levelTargets(bytes, batchBytes);
  const scores = [v.levels[0].length / L0_FILES_COMPACTION_TRIGGER];
  for (let l = 1; l < NUM_LEVELS - 1; l++) scores.push(bytes[l] / targets[l]);
  return scores;
}

/** User-key range covered by `files`. */
export function keyRange(files: readonly FileMeta[]): [Uint8Array, Uint8Array] {
  let lo = userKeyOf(files[0].smallest), hi = userKeyOf(files[0].largest);
  for (const f of files) {
    if (compareBytes(userKeyOf(f.smallest), lo) < 0) lo = userKeyOf(f.smallest);
    if (compareBytes(userKeyOf(f.largest), hi) > 0) hi = userKeyOf(f.largest);
  }
  return [lo, hi];
}

export function pickCompaction(
  v: Version,
  pointers: readonly (Uint8Array | undefined)[],
  batchBytes: number,
): Compaction | undefined {
  const scores = levelScores(v, batchBytes);
  let level = -1;
  let best = 1;
  scores.forEach((s, l) => {
    if (s >= best) [best, level] = [s, l];
  });
  if (level < 0) return undefined;
  return level === 0 ? levelZero(v) : rotating(v, level, pointers[level]);
}

/**
 * Level 0 (leveldb PickCompaction): the oldest table plus every level-0 table that
 * overlaps the growing key range. A table left out then overlaps none of the chosen
 * ones, so moving the chosen ones down never puts older data above newer data; and
 * tables written in key order (a sequential load) each move down alone, without a rewrite.
 */
function levelZero(v: Version): Compaction {
  const l0 = v.levels[0];
  const chosen = new Set([l0[l0.length - 1]]); // sorted newest first
  let [lo, hi] = keyRange([...chosen]);
  for (;;) {
    const before = chosen.size;
    for (const f of v.overlapping(0, lo, hi)) chosen.add(f);
    if (chosen.size === before) break;
    [lo, hi] = keyRange([...chosen]);
  }
  const inputs = l0.filter((f) => chosen.has(f));
  return { level: 0, inputs, next: v.overlapping(1, lo, hi) };
}

/**
 * A level over its target gives one table to the next level: the one whose overlap there is
 * smallest for its size (RocksDB's default, kMinOverlappingRatio), the level's tables in
 * round-robin order after its compact pointer breaking ties. A table that overlaps nothing below —
 * a region's change feed, cut apart (table_cuts.ts) — then moves down by a manifest edit before any
 * table is merged, so the level's target is left to the tables that merge; picking by the pointer
 * alone merged the whole of a small random-key part of level 1 into most of level 2 at each turn
 * while feed tables filled the level (bench/RESULTS.md, session 33).
 */
function rotating(v: Version, level: number, pointer: Uint8Array | undefined): Compaction {
  const files = v.levels[level], below = v.levels[level + 1];
  let start = 0;
  if (pointer !== undefined) {
    const after = files.findIndex((f) => compareInternalKeys(f.largest, pointer) > 0);
    if (after >= 0) start = after;
  }
  let pick = files[start], least = Infinity;
  for (let k = 0; k < files.length && least > 0; k++) {
    const f = files[(start + k) % files.length];
    const ratio = overlapBytes(below, userKeyOf(f.smallest), userKeyOf(f.largest)) /
      Math.max(1, f.size);
    if (ratio < least) [pick, least] = [f, ratio];
  }
  const [lo, hi] = keyRange([pick]);
  return { level, inputs: [pick], next: v.overlapping(level + 1, lo, hi) };
}

/** Bytes of the tables of a sorted level (≥ 1) that meet [lo, hi]. */
function overlapBytes(files: readonly FileMeta[], lo: Uint8Array, hi: Uint8Array): number {
  let bytes = 0;
  for (let i = findFile(files, lo); i < files.length; i++) {
    if (compareBytes(userKeyOf(files[i].smallest), hi) > 0) break;
    bytes += files[i].size;
  }
  return bytes;
}

/** A blob file's bytes and the bytes known dead in it (version_set.ts BlobFileState). */
export interface BlobUse {
  readonly size: number;
  readonly garbage: number;
}

/** Whether compactions move a blob file's live values out (it is at least `percent` % dead). */
export function mostlyDead(b: BlobUse, percent = BLOB_GARBAGE_PERCENT_COLLECT): boolean {
  return b.garbage * 100 >= b.size * percent;
}

/**
 * When no level needs compacting: of the blob files at least `percent` % dead,
 * the most dead one a table of level ≥ 1 still references, and that table (the deepest such),
 * to be rewritten with the file's live values moved out. Level 0 is left to its own compactions.
 * Each such compaction leaves one fewer table referencing the file; once none does, garbage
 * collection deletes it.
 */
export function pickBlobCollection(
  v: Version,
  blobs: ReadonlyMap<number, BlobUse>,
  percent = BLOB_GARBAGE_PERCENT_COLLECT,
): Compaction | undefined {
  const candidates: [number, number][] = [];
  for (const [n, b] of blobs) {
    if (mostlyDead(b, percent)) candidates.push([n, b.garbage / b.size]);
  }
  candidates.sort((a, b) => b[1] - a[1]);
  for (const [n] of candidates) {
    for (let level = NUM_LEVELS - 1; level >= 1; level--) {
      const f = v.levels[level].find((t) => t.blobs?.includes(n) === true);
      if (f === undefined) continue;
      const [lo, hi] = keyRange([f]);
      const next = level + 1 < NUM_LEVELS ? v.overlapping(level + 1, lo, hi) : [];
      return { level, inputs: [f], next, blobCollection: true };
    }
  }
  return undefined;
}

/** A manual compaction of everything in `level` that meets [start, end]. */
export function rangeCompaction(
  v: Version,
  level: number,
  start?: Uint8Array,
  end?: Uint8Array,
): Compaction | undefined {
  const inputs = v.overlapping(level, start, end);
  if (inputs.length === 0) return undefined;
  const all = level === 0 ? v.levels[0] : inputs; // L0 files overlap each other: take all
  const [lo, hi] = keyRange(all);
  return { level, inputs: all, next: v.overlapping(level + 1, lo, hi) };
}
