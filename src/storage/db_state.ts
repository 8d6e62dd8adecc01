/**
 * The state shared by the engine's parts (write path, background work,
 * reads, garbage collection). Plain data plus a few helpers; the behaviour
 * lives in the modules that take it.
 */
import { LevelZeroBatch } from "./compaction/level_targets.ts";
import type { WriteMark } from "./write_marks.ts";
import type { FileSystem } from "../platform/types.ts";
import {
  type CompactionJob,
  type CompactionRunner,
  inlineCompaction,
  type JobOutputs,
} from "./compaction/compactor.ts";
import { WorkerJobs } from "./jobs/worker_jobs.ts";
import { ClosedError, errorMessage, type NoSpaceError } from "../util/errors.ts";
import { createPrng, type Prng } from "../util/prng.ts";
import { BlockCache } from "./cache/block_cache.ts";
import { TableCache } from "./cache/table_cache.ts";
import { BlobFiles } from "./blob/blob_files.ts";
import { Memtable } from "./memtable/memtable.ts";
import type { ResolvedOptions } from "./options.ts";
import type { WalWriter } from "./wal/wal_writer.ts";
import type { VersionSet } from "./version/version_set.ts";

export interface TornTailReport {
  readonly file: string;
  readonly offset: number;
  readonly droppedBytes: number;
  readonly reason: string;
}

/** Counters reported by `stats()`. */
export class Counters {
  flushes = 0;
  compactions = 0;
  trivialMoves = 0;
  compactionBytesRead = 0;
  compactionBytesWritten = 0;
  walSyncs = 0;
  commitGroups = 0;
  writeSlowdowns = 0;
  writeStops = 0;
  memtableStalls = 0;
  filesDeleted = 0;
  /** Compactions picked to move live values out of mostly-dead blob files. */
  blobCollections = 0;
  /** Engine entries scans stepped over: versions and tombstones as well as what they returned. */
  scanSteps = 0;
}

/** Longest stretch of background work between yields to requests. */
const YIELD_EVERY_MS = 4;
/**
 * The same while writes are held back waiting for that work: longer, so it
 * finishes sooner, but bounded, so reads and Raft heartbeats still get turns
 * (never yielding held the loop 100-400 ms per flush of 4 KiB values).
 */
const YIELD_EVERY_MS_STALLED = 16;

export class DbState {
  mem: Memtable;
  imm: Memtable | undefined;
  wal: WalWriter | undefined;
  failed: Error | undefined;
  /**
   * Set while background work (flush, compaction) fails for lack of space; it
   * is retried after a backoff and cleared by the next job that succeeds.
   * Unlike `failed` this is not sticky: nothing was half-installed.
   */
  noSpace: NoSpaceError | undefined;
  closed = false;
  readonly snapshots = new Map<number, number>(); // seq → count
  readonly pendingOutputs = new Set<number>();
  readonly blockCache: BlockCache;
  readonly tables: TableCache;
  /** Open blob files, for reads of the values kept apart from tables. */
  readonly blobs: BlobFiles;
  readonly counters = new Counters();
  /** Level 0's batch, which the levels' targets are sized from (level_targets.ts). */
  readonly levelZeroBatch: LevelZeroBatch;
  readonly tornTails: TornTailReport[] = [];
  /** Ranges whose writes raise a flag (write_marks.ts); usually none. */
  readonly writeMarks: WriteMark[] = [];
  readonly prng: Prng;
  /** The background worker that flushes and compacts (undefined: both run inline). */
  readonly worker: WorkerJobs | undefined;
  readonly #inlineCompaction: CompactionRunner;
  /** Resolved whenever background work finishes a flush or compaction. */
  #waiters: (() => void)[] = [];
  /** How many of the waiters are writes held back for room (not an explicit `flush()`). */
  #stalledWriters = 0;

  constructor(
    readonly fs: FileSystem,
    readonly dir: string,
    readonly options: ResolvedOptions,
    readonly vs: VersionSet,
  ) {
    this.prng = createPrng(options.seed);
    this.blockCache = new BlockCache(options.blockCacheBytes);
    this.tables = new TableCache(
      fs,
      dir,
      this.blockCache,
      options.maxOpenTables,
      options.tableReaderBytes,
    );
    this.blobs = new BlobFiles(fs, dir, this.blockCache);
    this.mem = new Memtable(this.prng.fork(), 0);
    this.levelZeroBatch = new LevelZeroBatch(options.level1Bytes, vs.current.levels[0]);
    this.#inlineCompaction = inlineCompaction(this);
    const start = options.backgroundWorker;
    if (start !== undefined) {
      this.worker = new WorkerJobs(start(), {
        dir,
        compression: this.options.compression,
        allocate: () => {
          const n = vs.newFileNumber();
          this.pendingOutputs.add(n);
          return n;
        },
        release: (n) => void this.pendingOutputs.delete(n),
      }, options.clock);
    }
  }

  /**
   * The worker once it has answered, else undefined: jobs run inline while it is still
   * starting (a flush never waits for a thread to start; `deno test` type-checks a worker's
   * modules first, seconds) and for good if it could not start.
   */
  usableWorker(): WorkerJobs | undefined {
    const w = this.worker;
    return w !== undefined && w.mode === "worker" ? w : undefined;
  }

  /** Runs a compaction's merge in the worker, or inline without one. */
  runCompactionJob(job: CompactionJob): Promise<JobOutputs> {
    const w = this.usableWorker();
    return w !== undefined ? w.compact(job) : this.#inlineCompaction(job);
  }

  /** Enters the sticky failed state (first error wins). */
  fail(err: unknown): Error {
    if (this.failed === undefined) {
      this.failed = new ClosedError(`database failed: ${errorMessage(err)}`, { cause: err });
    }
    return this.failed;
  }

  /** Throws if writes are not allowed. */
  checkWritable(): void {
    if (this.closed) throw new ClosedError("database is closed");
    if (this.failed !== undefined) throw this.failed;
  }

  #lastYieldMs = 0;

  /**
   * Called by background work between bounded steps. Yields a macrotask (so requests
   * run) once a step budget of YIELD_EVERY_MS has passed, or YIELD_EVERY_MS_STALLED
   * while writes are held back waiting for this work. An explicit `flush()`
   * waiting (the Raft log's compaction does one in the background) does not
   * count: it once ran a whole memtable flush, 200-400 ms, without a yield.
   */
  yieldNow(): Promise<void> {
    const clock = this.options.clock;
    if (clock === undefined) return Promise.resolve();
    const budget = this.#stalledWriters > 0 ? YIELD_EVERY_MS_STALLED : YIELD_EVERY_MS;
    const now = clock.nowMs();
    if (now - this.#lastYieldMs < budget) return Promise.resolve();
    return new Promise((resolve) =>
      clock.setTimeout(() => {
        this.#lastYieldMs = clock.nowMs();
        resolve();
      }, 0)
    );
  }

  /** Always gives queued tasks (background work) a turn: the write slowdown. */
  pause(): Promise<void> {
    const clock = this.options.clock;
    if (clock === undefined) return Promise.resolve();
    return new Promise((resolve) => clock.setTimeout(resolve, 0));
  }

  /**
   * Resolves after the next flush or compaction finishes (or fails).
   * `stalledWriter`: the caller is a write held back for room.
   */
  progress(stalledWriter = false): Promise<void> {
    if (!stalledWriter) return new Promise((resolve) => this.#waiters.push(resolve));
    this.#stalledWriters++;
    return new Promise((resolve) =>
      this.#waiters.push(() => {
        this.#stalledWriters--;
        resolve();
      })
    );
  }

  notifyProgress(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const fn of w) fn();
  }

  smallestSnapshot(): number {
    let min = this.vs.lastSequence;
    for (const seq of this.snapshots.keys()) if (seq < min) min = seq;
    return min;
  }
}
