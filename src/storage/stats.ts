/** `stats()`: a plain snapshot of the engine's counters and shape. */
import { L0_FILES_SLOWDOWN, L0_FILES_STOP } from "../limits.ts";
import { levelScores } from "./compaction/picker.ts";
import type { DbState, TornTailReport } from "./db_state.ts";

export interface DbStats {
  readonly sequence: number;
  readonly memtableBytes: number;
  readonly memtableEntries: number;
  readonly immutableMemtable: boolean;
  readonly levels: readonly { files: number; bytes: number; score: number }[];
  /** "none", "slowdown" (L0 at L0_FILES_SLOWDOWN) or "stop" (L0 at L0_FILES_STOP). */
  readonly backpressure: "none" | "slowdown" | "stop";
  readonly writeSlowdowns: number;
  readonly writeStops: number;
  readonly memtableStalls: number;
  readonly flushes: number;
  readonly compactions: number;
  readonly trivialMoves: number;
  readonly compactionBytesRead: number;
  readonly compactionBytesWritten: number;
  readonly walSyncs: number;
  readonly commitGroups: number;
  readonly filesDeleted: number;
  /**
   * Engine entries scans stepped over, including shadowed versions and tombstones (and a
   * scan's read-ahead): the work behind scans, which the entries they return understate.
   */
  readonly scanSteps: number;
  readonly snapshots: number;
  /** Table files open now (bounded by maxOpenTables). */
  readonly openTables: number;
  /** Tables whose index and filter are in memory, and those bytes (bounded by tableReaderBytes). */
  readonly residentTables: { count: number; bytes: number };
  readonly blockCache: { bytes: number; capacity: number; hits: number; misses: number };
  /**
   * Blob files (values kept apart from tables, `blobMinBytes`): how many, their bytes, the
   * bytes of theirs no table references any more, and compactions run to move values out.
   */
  readonly blobs: { files: number; bytes: number; garbageBytes: number; collections: number };
  /** Torn log tails found and cut at open (WAL) or ignored (manifest). */
  readonly tornTails: readonly TornTailReport[];
  /** The sticky error, once a write, sync or background job failed. */
  readonly failed: string | null;
  /** Where flushes and compactions run: "worker", "starting", or "inline" (none, or it failed). */
  readonly backgroundWorker: "worker" | "starting" | "inline";
}

export function collectStats(s: DbState): DbStats {
  const v = s.vs.current;
  const scores = levelScores(v, s.levelZeroBatch.bytes);
  const l0 = v.levels[0].length;
  let snapshots = 0;
  for (const c of s.snapshots.values()) snapshots += c;
  const c = s.counters;
  return {
    sequence: s.vs.lastSequence,
    memtableBytes: s.mem.bytes,
    memtableEntries: s.mem.count,
    immutableMemtable: s.imm !== undefined,
    levels: v.levels.map((files, l) => ({
      files: files.length,
      bytes: v.levelBytes(l),
      score: scores[l] ?? 0,
    })),
    backpressure: l0 >= L0_FILES_STOP ? "stop" : l0 >= L0_FILES_SLOWDOWN ? "slowdown" : "none",
    writeSlowdowns: c.writeSlowdowns,
    writeStops: c.writeStops,
    memtableStalls: c.memtableStalls,
    flushes: c.flushes,
    compactions: c.compactions,
    trivialMoves: c.trivialMoves,
    compactionBytesRead: c.compactionBytesRead,
    compactionBytesWritten: c.compactionBytesWritten,
    walSyncs: c.walSyncs,
    commitGroups: c.commitGroups,
    filesDeleted: c.filesDeleted,
    scanSteps: c.scanSteps,
    snapshots,
    openTables: s.tables.openCount,
    residentTables: { count: s.tables.residentCount, bytes: s.tables.residentBytes },
    blockCache: {
      bytes: s.blockCache.bytes,
      capacity: s.blockCache.capacityBytes,
      hits: s.blockCache.hits,
      misses: s.blockCache.misses,
    },
    blobs: blobStats(s),
    tornTails: [...s.tornTails],
    failed: s.failed?.message ?? null,
    backgroundWorker: s.worker?.mode ?? "inline",
  };
}

function blobStats(s: DbState): DbStats["blobs"] {
  let bytes = 0, garbageBytes = 0;
  for (const b of s.vs.blobFiles.values()) {
    bytes += b.size;
    garbageBytes += b.garbage;
  }
  return {
    files: s.vs.blobFiles.size,
    bytes,
    garbageBytes,
    collections: s.counters.blobCollections,
  };
}
