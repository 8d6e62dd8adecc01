/**
 * How large each level may grow before it is compacted into the next (docs/storage.md "Level
 * sizes"). Moving a level's bytes into the next rewrites about `1 + next/this` bytes per byte
 * moved (the overlapping part of the level below goes with them), and level 0's batch of flushes
 * into level 1 about `1 + level1/batch`. LevelDB's fixed sizes (10 MiB, then ×10 a level) suit
 * tables that hold their values; with values in blob files a flush's table is a few MB, and at
 * 120 MB of tables level 2 held eleven times level 1: 14 bytes written per byte flushed where
 * equal steps give 10 (bench/RESULTS.md, session 33).
 *
 * So the levels in use, and their targets, are chosen for equal steps: with `T` the bytes of
 * levels 1 and below and `b` level 0's batch, `n` levels give each step the ratio
 * `r = (T/b)^(1/n)` and cost about `n × (1 + r)` bytes written per byte flushed. `n` is the
 * cheapest, but never above the deepest level holding data — nothing is left below the last level
 * compacted into — and level `i < n` targets `b × r^i`; level `n` and below have no target.
 */
import { L0_FILES_COMPACTION_TRIGGER } from "../../limits.ts";
import { NUM_LEVELS } from "../version/version_edit.ts";

/** The deepest level a compaction writes into (the last level is never compacted by size). */
const LAST_LEVEL = NUM_LEVELS - 1;

/**
 * The target bytes of each level from 1 to `NUM_LEVELS - 2` (index = level; `Infinity` where the
 * level is the last in use or below it), for levels holding `bytes[level]` and a level-0 batch of
 * `batchBytes`.
 */
export function levelTargets(bytes: readonly number[], batchBytes: number): number[] {
  let total = 0, deepest = 1;
  for (let l = 1; l <= LAST_LEVEL; l++) {
    total += bytes[l] ?? 0;
    if ((bytes[l] ?? 0) > 0) deepest = l;
  }
  const b = Math.max(1, batchBytes);
  const ratio = (n: number) => Math.max(1, (total / b) ** (1 / n));
  let levels = 1;
  for (let n = 2; n <= LAST_LEVEL; n++) {
    if (n * (1 + ratio(n)) < levels * (1 + ratio(levels))) levels = n;
  }
  levels = Math.max(levels, deepest);
  const r = ratio(levels);
  const targets = [0];
  for (let l = 1; l < LAST_LEVEL; l++) targets.push(l < levels ? b * r ** l : Infinity);
  return targets;
}

/** How much of the last flushes' size a new flush moves the estimate (a running mean). */
const FLUSH_WEIGHT = 0.25;

/**
 * Level 0's batch: `L0_FILES_COMPACTION_TRIGGER` flushes' tables, from a running mean of the
 * flushes' table bytes. Before the first flush: the level-0 tables found at open, or
 * `level1Bytes` (LevelDB's level 1) for an empty level 0.
 */
export class LevelZeroBatch {
  #flushBytes: number;

  constructor(level1Bytes: number, levelZeroTables: readonly { size: number }[]) {
    const n = levelZeroTables.length;
    this.#flushBytes = n === 0
      ? level1Bytes / L0_FILES_COMPACTION_TRIGGER
      : levelZeroTables.reduce((sum, f) => sum + f.size, 0) / n;
  }

  /** A flush wrote `bytes` of tables (one that wrote none says nothing of the batch). */
  note(bytes: number): void {
    if (bytes > 0) this.#flushBytes += (bytes - this.#flushBytes) * FLUSH_WEIGHT;
  }

  get bytes(): number {
    return this.#flushBytes * L0_FILES_COMPACTION_TRIGGER;
  }
}
