/**
 * Engine options, validated once at open (docs/style.md §4.16: config checked at
 * construction, passed explicitly).
 */
import type { Clock, WorkerChannel } from "../platform/types.ts";
import {
  BLOCK_CACHE_BYTES_DEFAULT,
  LEVEL1_BYTES_MAX,
  MEMTABLE_BYTES_MAX,
  MEMTABLE_BYTES_MIN,
  TABLE_CACHE_FILES_MAX,
  TABLE_FILE_BYTES_TARGET,
} from "../limits.ts";
import { TABLE_READERS_BYTES_DEFAULT } from "../limits_ops.ts";
import { InvalidArgumentError } from "../util/errors.ts";
import { BLOCK_COMPRESSIONS, type BlockCompression } from "./sstable/compression.ts";
import { TABLE_CUTS, type TableCuts } from "./compaction/table_cuts.ts";

/** A reference takes up to 24 bytes: a smaller value gains nothing from a blob file. */
const BLOB_MIN_BYTES_LEAST = 32;

export type { BlockCompression } from "./sstable/compression.ts";

/**
 * When a write is acknowledged:
 * - `always`: after its WAL record is fsynced (writers queued meanwhile share one fsync);
 * - `batched`: after the WAL append; an fsync starts at once in the background and covers
 *   every write appended before it, so at most the writes of one fsync interval can be lost;
 * - `none`: after the WAL append; the OS decides when it reaches the disk.
 */
export type SyncMode = "always" | "batched" | "none";

/** DbOptions.scanCopies. */
export type ScanCopies = "slab" | "slice";

export interface DbOptions {
  readonly sync?: SyncMode;
  /**
   * `false` turns the write-ahead log off: writes are durable only once flushed (`flush()`,
   * a full memtable, or `close()`). For callers that keep their own log (docs/design.md §2.4).
   */
  readonly wal?: boolean;
  /** Memtable size that triggers a flush (default and maximum MEMTABLE_BYTES_MAX). */
  readonly memtableBytes?: number;
  readonly blockCacheBytes?: number;
  /** Target table size (default TABLE_FILE_BYTES_TARGET); smaller in tests. */
  readonly tableFileBytes?: number;
  /**
   * Level 0's batch assumed until a flush shows the real one, from which the levels' sizes follow
   * (compaction/level_targets.ts; default 10 MiB, LevelDB's level 1).
   */
  readonly level1Bytes?: number;
  /** Table files kept open at once (default TABLE_CACHE_FILES_MAX). */
  readonly maxOpenTables?: number;
  /**
   * Memory for the resident tables' indexes and filters (default TABLE_READERS_BYTES_DEFAULT);
   * a table kept resident whose file was closed reopens it, without reading its index again.
   */
  readonly tableReaderBytes?: number;
  /** Timers for yielding between background steps; without one, steps yield a microtask. */
  readonly clock?: Clock;
  /**
   * How new tables store their data blocks (default `lz4`; docs/decisions/0016): a block is
   * kept compressed only when that saves at least 12.5 %. Tables of either kind are read.
   */
  readonly compression?: BlockCompression;
  /**
   * Where compactions cut their output tables besides their size (default `none`;
   * compaction/table_cuts.ts): `kv` gives each region's change feed of TinyKV's keyspace tables
   * of its own, which then move down the levels without being rewritten.
   */
  readonly tableCuts?: TableCuts;
  /**
   * Values of at least this many bytes are kept apart from the tables, in blob files, by the
   * flushes and compactions that write them (default 0: never; docs/storage.md "Blob files").
   * Compactions then rewrite small references instead of the values. 0, or at least 32.
   */
  readonly blobMinBytes?: number;
  /** Seed for the memtable's skiplist heights (any value is correct). */
  readonly seed?: number;
  /**
   * How a scan copies the keys and values it hands out (default `slab`): `slab` carves them
   * as views from shared 8 KiB buffers (cheapest under V8, where every new small array
   * needs its own backing store); `slice` makes one small array per copy (cheapest under
   * JSC, which allocates small arrays in its heap and whose views cost 2–4× as much).
   * `openDb` takes the running runtime's choice (Platform.scanCopies).
   */
  readonly scanCopies?: ScanCopies;
  /** Told of each compaction that rewrote tables (the server logs it). */
  readonly onCompaction?: (done: CompactionDone) => void;
  /**
   * Starts the thread that flushes memtables and runs compactions off the serving thread
   * (the platform's `startStorageWorker`). Absent: both run inline, in bounded steps on the
   * caller's thread (the deterministic simulation's choice).
   */
  readonly backgroundWorker?: () => WorkerChannel;
}

/** One finished compaction: its input level, bytes read and written, how long it took. */
export interface CompactionDone {
  readonly level: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly ms: number;
}

export interface ResolvedOptions {
  readonly sync: SyncMode;
  readonly wal: boolean;
  readonly memtableBytes: number;
  readonly blockCacheBytes: number;
  readonly tableFileBytes: number;
  readonly level1Bytes: number;
  readonly maxOpenTables: number;
  readonly tableReaderBytes: number;
  readonly clock: Clock | undefined;
  readonly compression: BlockCompression;
  readonly tableCuts: TableCuts;
  readonly blobMinBytes: number;
  readonly seed: number;
  readonly scanCopies: ScanCopies;
  readonly onCompaction: ((done: CompactionDone) => void) | undefined;
  readonly backgroundWorker: (() => WorkerChannel) | undefined;
}

function size(name: string, v: number | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  }
  return v;
}

export function resolveOptions(o: DbOptions = {}): ResolvedOptions {
  const sync = o.sync ?? "always";
  if (sync !== "always" && sync !== "batched" && sync !== "none") {
    throw new InvalidArgumentError(`sync must be always, batched or none, got ${String(sync)}`);
  }
  const memtableBytes = size(
    "memtableBytes",
    o.memtableBytes,
    MEMTABLE_BYTES_MAX,
    MEMTABLE_BYTES_MIN,
    MEMTABLE_BYTES_MAX,
  );
  const compression = o.compression ?? "lz4";
  if (!BLOCK_COMPRESSIONS.includes(compression)) {
    throw new InvalidArgumentError(`compression must be none or lz4, got ${String(compression)}`);
  }
  const tableCuts = o.tableCuts ?? "none";
  if (!TABLE_CUTS.includes(tableCuts)) {
    throw new InvalidArgumentError(`tableCuts must be none or kv, got ${String(tableCuts)}`);
  }
  const blobMinBytes = size("blobMinBytes", o.blobMinBytes, 0, 0, 1 << 30);
  if (blobMinBytes > 0 && blobMinBytes < BLOB_MIN_BYTES_LEAST) {
    throw new InvalidArgumentError(
      `blobMinBytes must be 0 or at least ${BLOB_MIN_BYTES_LEAST}, got ${blobMinBytes}`,
    );
  }
  const scanCopies = o.scanCopies ?? "slab";
  if (scanCopies !== "slab" && scanCopies !== "slice") {
    throw new InvalidArgumentError(`scanCopies must be slab or slice, got ${String(scanCopies)}`);
  }
  const gib = 1 << 30;
  return {
    sync,
    wal: o.wal ?? true,
    memtableBytes,
    blockCacheBytes: size(
      "blockCacheBytes",
      o.blockCacheBytes,
      BLOCK_CACHE_BYTES_DEFAULT,
      0,
      64 * gib,
    ),
    tableFileBytes: size("tableFileBytes", o.tableFileBytes, TABLE_FILE_BYTES_TARGET, 1024, gib),
    level1Bytes: size("level1Bytes", o.level1Bytes, LEVEL1_BYTES_MAX, 4096, 64 * gib),
    maxOpenTables: size("maxOpenTables", o.maxOpenTables, TABLE_CACHE_FILES_MAX, 1, 1 << 20),
    tableReaderBytes: size(
      "tableReaderBytes",
      o.tableReaderBytes,
      TABLE_READERS_BYTES_DEFAULT,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    clock: o.clock,
    compression,
    tableCuts,
    blobMinBytes,
    seed: o.seed ?? 0x5eed,
    scanCopies,
    onCompaction: o.onCompaction,
    backgroundWorker: o.backgroundWorker,
  };
}
