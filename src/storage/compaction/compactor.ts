/**
 * Runs one compaction: merges the inputs of level L and the overlapping
 * tables of L+1 into new L+1 tables, in bounded steps (it yields every
 * COMPACTION_STEP_ENTRIES entries so reads and writes keep flowing), then
 * installs the result with one manifest edit. Entries are dropped only when
 * no snapshot can see them (leveldb DoCompactionWork).
 */
import { assert } from "../../util/assert.ts";
import { compareBytes } from "../../util/bytes.ts";
import type { TableCache } from "../cache/table_cache.ts";
import type { DbState } from "../db_state.ts";
import { userKeyOf, ValueKind } from "../internal_key.ts";
import type { ByteSink, Cursor } from "../iterator/cursor.ts";
import { LevelCursor } from "../iterator/level_cursor.ts";
import { MergingCursor } from "../iterator/merging.ts";
import type { Version } from "../version/version.ts";
import { type FileMeta, NUM_LEVELS, VersionEdit } from "../version/version_edit.ts";
import { type BlobPolicy, type OutputHost, OutputSet, stateOutputHost } from "./output_set.ts";
import type { BlobFileMeta } from "../blob/blob_writer.ts";
import { COMPACTION_STEP_ENTRIES } from "../../limits.ts";
import { type Compaction, mostlyDead } from "./picker.ts";
import { levelOneInputs } from "./level_zero_overlap.ts";
import type { TableCuts } from "./table_cuts.ts";

/** The user-key ranges of every table below `outLevel` (a deletion may drop only outside them). */
export function deeperRanges(v: Version, outLevel: number): [Uint8Array, Uint8Array][] {
  const out: [Uint8Array, Uint8Array][] = [];
  for (let l = outLevel + 1; l < NUM_LEVELS; l++) {
    for (const f of v.levels[l]) out.push([userKeyOf(f.smallest), userKeyOf(f.largest)]);
  }
  return out;
}

/** Whether `key` equals `buf[0, len)` (len -1: nothing yet). */
function sameBytes(key: Uint8Array, buf: Uint8Array, len: number): boolean {
  if (key.length !== len) return false;
  for (let i = len - 1; i >= 0; i--) if (key[i] !== buf[i]) return false;
  return true;
}

/** True when no deeper table's range holds `key`. */
function isBaseLevelFor(deeper: readonly [Uint8Array, Uint8Array][], key: Uint8Array): boolean {
  for (const [lo, hi] of deeper) {
    if (compareBytes(key, lo) >= 0 && compareBytes(key, hi) <= 0) return false;
  }
  return true;
}

/** What one compaction's merge needs: the same whether it runs inline or in a worker. */
export interface CompactionJob {
  readonly level: number;
  readonly inputs: readonly FileMeta[];
  readonly next: readonly FileMeta[];
  readonly smallestSnapshot: number;
  readonly deeper: readonly [Uint8Array, Uint8Array][];
  readonly targetBytes: number;
  /** First keys of tables of the output level left out: outputs end before them. */
  readonly fences: readonly Uint8Array[];
  /** Where output tables end besides their size (table_cuts.ts). */
  readonly cuts: TableCuts;
  /** Which values go to blob files, and which blob files are being emptied. */
  readonly blobs: BlobPolicy;
}

/** Where the merge runs: its tables, output files, yields and stop signal. */
export interface MergeEnv {
  readonly tables: TableCache;
  readonly out: OutputHost;
  yieldNow(): Promise<void>;
  /** True once the job's result can no longer be used (closing, failed, cancelled). */
  stopped(): boolean;
  /** The runtime's collector, where the job may ask for it (a worker's, on Bun). */
  readonly collectGarbage?: () => void;
}

export interface JobOutputs {
  readonly outputs: FileMeta[];
  readonly bytesWritten: number;
  /** Blob files written (their numbers are pending like the tables' until the edit). */
  readonly blobFiles: BlobFileMeta[];
  /** Bytes of blob records the job dropped or moved, by blob file. */
  readonly blobGarbage: [number, number][];
}

/** Merges a compaction's inputs into new tables of level+1 (the step a worker runs). */
export async function compactTables(env: MergeEnv, job: CompactionJob): Promise<JobOutputs> {
  const out = new OutputSet(env.out, job.targetBytes, job.cuts, job.blobs, job.fences);
  let done = false;
  try {
    const children: Cursor[] = job.level === 0
      ? job.inputs.map((f) => env.tables.get(f.number, f.size).cursor(false))
      : [new LevelCursor(job.inputs, env.tables, false)];
    children.push(new LevelCursor(job.next, env.tables, false));
    await mergeInto(env, job, new MergingCursor(children), out);
    const outputs = await out.finish();
    done = true;
    return out.result(outputs);
  } finally {
    // On success the caller releases the numbers once the edit is installed or abandoned.
    if (!done) out.release();
  }
}

/** What the engine runs a compaction's merge with (inline, or a worker: ./jobs/). */
export type CompactionRunner = (job: CompactionJob) => Promise<JobOutputs>;

export function inlineCompaction(s: DbState): CompactionRunner {
  const env: MergeEnv = {
    tables: s.tables,
    out: stateOutputHost(s),
    yieldNow: () => s.yieldNow(),
    stopped: () => s.closed || s.failed !== undefined,
  };
  return (job) => compactTables(env, job);
}

/** Moves a single table down a level with no rewrite, when nothing overlaps it. */
export function isTrivialMove(c: Compaction): boolean {
  return c.inputs.length === 1 && c.next.length === 0 && c.blobCollection !== true;
}

/** Where a compaction's outputs go: the next level, or the last level's own. */
export function outputLevel(c: Compaction): number {
  return Math.min(c.level + 1, NUM_LEVELS - 1);
}

/** The blob files whose live values compactions move out now (picker.ts `mostlyDead`). */
export function blobsToRelocate(s: DbState): number[] {
  const out: number[] = [];
  for (const [n, b] of s.vs.blobFiles) {
    if (mostlyDead(b)) out.push(n);
  }
  return out;
}

export async function runCompaction(s: DbState, c: Compaction): Promise<void> {
  const edit = new VersionEdit();
  const outLevel = outputLevel(c);
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
  const { next, fences } = c.level === 0
    ? levelOneInputs(s.tables, c)
    : { next: c.next, fences: [] };
  s.vs.pin(v);
  let outputs: FileMeta[] = [];
  let blobNumbers: number[] = [];
  try {
    const job: CompactionJob = {
      level: c.level,
      inputs: c.inputs,
      next,
      fences,
      smallestSnapshot: s.smallestSnapshot(),
      deeper: deeperRanges(v, outLevel),
      targetBytes: s.options.tableFileBytes,
      cuts: s.options.tableCuts,
      blobs: {
        minBytes: s.options.blobMinBytes,
        relocate: blobsToRelocate(s),
        cuts: s.options.tableCuts,
      },
    };
    const done = await s.runCompactionJob(job);
    outputs = done.outputs;
    for (const f of c.inputs) edit.deleted.push([c.level, f.number]);
    for (const f of next) edit.deleted.push([outLevel, f.number]);
    for (const f of outputs) edit.added.push([outLevel, f]);
    edit.blobFiles.push(...done.blobFiles);
    edit.blobGarbage.push(...done.blobGarbage);
    blobNumbers = done.blobFiles.map((b) => b.number);
    edit.compactPointers.push([c.level, c.inputs[c.inputs.length - 1].largest]);
    if (s.closed || s.failed !== undefined) return;
    await s.vs.logAndApply(edit);
    s.counters.compactions++;
    if (c.blobCollection === true) s.counters.blobCollections++;
    s.counters.compactionBytesWritten += done.bytesWritten;
    let bytesIn = 0;
    for (const f of [...c.inputs, ...next]) bytesIn += f.size;
    s.counters.compactionBytesRead += bytesIn;
    const ms = (s.options.clock?.nowMs() ?? 0) - t0;
    s.options.onCompaction?.({ level: c.level, bytesIn, bytesOut: done.bytesWritten, ms });
  } finally {
    for (const f of outputs) s.pendingOutputs.delete(f.number);
    for (const n of blobNumbers) s.pendingOutputs.delete(n);
    s.vs.unpin(v);
  }
}

async function mergeInto(
  env: MergeEnv,
  job: CompactionJob,
  merge: MergingCursor,
  out: OutputSet,
): Promise<void> {
  const smallestSnapshot = job.smallestSnapshot;
  // The current user key, copied into one reused buffer: a copy per key was a tenth of a
  // compaction of small entries (keys and blob references).
  let current = new Uint8Array(64), currentLen = -1;
  let lastSeqForKey = Number.MAX_SAFE_INTEGER;
  let steps = 0;
  const at = new ValueRange();
  for (merge.seekToFirst(); merge.valid(); merge.next()) {
    const key = merge.key();
    const seq = merge.seq();
    const kind = merge.kind();
    const newKey = !sameBytes(key, current, currentLen);
    if (newKey) {
      if (key.length > current.length) current = new Uint8Array(key.length * 2);
      current.set(key);
      currentLen = key.length;
      lastSeqForKey = Number.MAX_SAFE_INTEGER;
    }
    // The merge yields a key's versions newest first; the drop rules rely on it.
    if (seq >= lastSeqForKey) assert(false, `compaction input out of order at sequence ${seq}`);
    let drop = false;
    if (lastSeqForKey <= smallestSnapshot) {
      drop = true; // a newer entry for this key is visible to every snapshot
    } else if (
      kind === ValueKind.Delete && seq <= smallestSnapshot && isBaseLevelFor(job.deeper, key)
    ) {
      drop = true; // nothing older below, and every snapshot sees the deletion
    }
    lastSeqForKey = seq;
    if (drop) out.drop(kind, merge.value());
    else {
      merge.copyValue(at); // notes where the value lies: no view per entry
      if (!out.tryAdd(key, seq, kind, at.buf, at.off, at.len, newKey)) {
        await out.add(key, seq, kind, merge.value(), newKey);
      }
    }
    if (++steps % COMPACTION_STEP_ENTRIES === 0) {
      await env.yieldNow();
      if (env.stopped()) return;
    }
  }
}

/**
 * A ByteSink that notes where a value lies instead of copying it: the merge hands the range
 * to its output, which copies it once into the table being built.
 */
class ValueRange implements ByteSink {
  buf: Uint8Array = EMPTY;
  off = 0;
  len = 0;
  copyRange(buf: Uint8Array, off: number, len: number): Uint8Array {
    this.buf = buf;
    this.off = off;
    this.len = len;
    return EMPTY;
  }
}

const EMPTY = new Uint8Array(0);
