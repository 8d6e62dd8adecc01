/**
 * Holds the node's engine and KV state machine, which a snapshot from a peer
 * can replace. Applying entries and swapping in a snapshot run one at a time
 * (`locked`). Directory layout under the data directory:
 *
 *   kv/           the engine in use
 *   kv-incoming/  a snapshot being received (snapshot_receiver.ts)
 *   kv-old/       the engine being replaced (only during a swap)
 */
import { type Logger, SILENT_LOGGER } from "../log/logger.ts";
import type { CompactionDone, ScanCopies } from "../../storage/options.ts";
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { CompactionPace } from "../../kv/history_compactor.ts";
import { KvStateMachine } from "../../kv/state_machine.ts";
import { HISTORY_COMPACT_SLICE_ENTRIES } from "../../limits_ops.ts";
import type { Clock, FileSystem, WorkerChannel } from "../../platform/types.ts";
import { Db } from "../../storage/db.ts";
import { readDescriptor } from "../../kv/region_descriptor_record.ts";
import { staggeredMemtableBytes } from "./memtable_stagger.ts";
import { ClosedError, CorruptionError } from "../../util/errors.ts";
import { removeTree } from "../../platform/fs_tree.ts";
import { ServiceError } from "../kv_service.ts";

/**
 * History compaction yields a timer turn between slices (and the Redis garbage collector between
 * batches), so socket reads and Raft ticks run in between (a microtask would let none of them in).
 */
function timerPace(clock: Clock): CompactionPace {
  return {
    sliceEntries: HISTORY_COMPACT_SLICE_ENTRIES,
    pause: () => new Promise<void>((resolve) => clock.setTimeout(resolve, 0)),
  };
}

/** A region's state machine on this node: reads judge expiry by its wall clock, work yields. */
export function configureRegionKv(kv: KvStateMachine, clock: Clock): void {
  // Reads judge key expiry by this node's wall clock too (docs/decisions/0009-key-expiry.md).
  kv.wallClock = () => clock.wallMs();
  kv.compactor.pace = timerPace(clock);
  kv.garbage.pause = timerPace(clock).pause;
}

/** Region 1's state machine, its history clipped to the range it kept after its splits. */
function openFirstRegion(db: Db): Promise<KvStateMachine> {
  return KvStateMachine.open(db, undefined, { regionId: 1, span: readDescriptor(db, 1) });
}

export class EngineHolder {
  #lock: Promise<unknown> = Promise.resolve();
  /** A flushApplied whose rotation has not started yet. */
  #queuedFlush: Promise<void> | undefined;
  /** Snapshots swapped in (for metrics and tests). */
  installed = 0;
  /** The engine's memtable size, staggered per node (memtable_stagger.ts). */
  memtableBytes: number | undefined;
  /** Corruption a read ran into; the node refuses to serve from then on (faults.ts). */
  corruption: CorruptionError | undefined;

  private constructor(
    readonly fs: FileSystem,
    readonly dataDir: string,
    readonly clock: Clock,
    public db: Db,
    public kv: KvStateMachine,
  ) {
    configureRegionKv(kv, clock);
  }

  static async open(
    fs: FileSystem,
    dataDir: string,
    clock: Clock,
    seed: number,
    logger: Logger = SILENT_LOGGER,
    { storageWorker: backgroundWorker, scanCopies, blobMinBytes }: {
      storageWorker?: () => WorkerChannel;
      scanCopies?: ScanCopies;
      blobMinBytes?: number;
    } = {},
  ) {
    await recoverSwap(fs, dataDir);
    const onCompaction = (d: CompactionDone) =>
      logger.info("engine.compaction", {
        level: d.level,
        bytes_in: d.bytesIn,
        bytes_out: d.bytesOut,
        ms: Math.round(d.ms),
      });
    const memtableBytes = staggeredMemtableBytes(seed);
    const db = await Db.open(fs, `${dataDir}/kv`, {
      wal: false,
      clock,
      seed,
      memtableBytes,
      onCompaction,
      backgroundWorker,
      scanCopies,
      tableCuts: "kv",
      blobMinBytes,
    });
    const holder = new EngineHolder(fs, dataDir, clock, db, await openFirstRegion(db));
    holder.onCompaction = onCompaction;
    holder.memtableBytes = memtableBytes;
    holder.backgroundWorker = backgroundWorker;
    holder.scanCopies = scanCopies;
    holder.blobMinBytes = blobMinBytes;
    if (backgroundWorker !== undefined) {
      void db.backgroundMode().then(({ mode, why }) =>
        mode === "worker"
          ? logger.info("engine.background", { mode })
          : logger.warn("engine.background", { mode, why: why ?? "" })
      );
    }
    return holder;
  }

  /** Where the engine reports its compactions (kept for the engine a snapshot swaps in). */
  onCompaction: ((d: CompactionDone) => void) | undefined;
  /** Starts the engine's flush and compaction thread (kept for a swapped-in engine too). */
  backgroundWorker: (() => WorkerChannel) | undefined;
  /** How the engine's scans copy entries (the runtime's choice; kept for a swapped-in engine). */
  scanCopies: ScanCopies | undefined;
  blobMinBytes: number | undefined;

  get incomingDir(): string {
    return `${this.dataDir}/kv-incoming`;
  }

  /**
   * Makes everything applied so far durable (the engine's WAL is off) without
   * holding later applies back: after the earlier locked tasks, the memtable
   * is rotated (queued in the engine's commit order), the lock is released,
   * and the returned promise waits for the rotated memtable's flush. Writes
   * made after the rotation go to the new memtable meanwhile. Callers before the rotation
   * share it (the regions of one log compaction ask together: one flush covers them all, where
   * each its own made a table of the writes applied since the one before).
   */
  flushApplied(): Promise<void> {
    if (this.#queuedFlush !== undefined) return this.#queuedFlush;
    const flushed = this.locked(() => {
      this.#queuedFlush = undefined; // later callers need a rotation after theirs
      return Promise.resolve({ flushed: this.db.flush() });
    }).then(({ flushed }) => flushed);
    this.#queuedFlush = flushed;
    return flushed;
  }

  /** Runs `run` after every earlier locked task. */
  locked<T>(run: () => Promise<T>): Promise<T> {
    const done = this.#lock.then(run);
    this.#lock = done.catch(() => {});
    return done;
  }

  /**
   * Replaces the engine with the fully received snapshot in kv-incoming if it
   * is ahead of the current one. A snapshot that arrives after the follower
   * caught up by log is older than its state: swapping it in would move the
   * state machine backwards, so it is discarded. Returns whether it swapped.
   */
  swapIn(): Promise<boolean> {
    return this.locked(async () => {
      const { fs, dataDir, clock } = this;
      const staged = await Db.open(fs, this.incomingDir, { wal: false, clock });
      const stagedKv = await KvStateMachine.open(staged);
      stagedKv.garbage.stop(); // opened for its applied index only
      const stagedApplied = stagedKv.appliedIndex;
      await staged.close();
      if (stagedApplied <= this.kv.appliedIndex) {
        removeTree(fs, this.incomingDir);
        return false;
      }
      this.kv.garbage.stop(); // the swapped-in engine's state machine collects its own
      await this.db.close();
      fs.rename(`${dataDir}/kv`, `${dataDir}/kv-old`);
      fs.rename(this.incomingDir, `${dataDir}/kv`);
      await fs.syncDir(dataDir);
      removeTree(fs, `${dataDir}/kv-old`);
      const wanted = this.kv.redisEventsWanted;
      this.db = await Db.open(fs, `${dataDir}/kv`, {
        wal: false,
        clock,
        memtableBytes: this.memtableBytes,
        onCompaction: this.onCompaction,
        backgroundWorker: this.backgroundWorker,
        scanCopies: this.scanCopies,
        tableCuts: "kv",
        blobMinBytes: this.blobMinBytes,
      });
      this.kv = await openFirstRegion(this.db);
      configureRegionKv(this.kv, clock);
      // Pub/sub subscribers on this node do not change with the store (server.ts).
      this.kv.redisEventsWanted = wanted;
      this.installed++;
      return true;
    });
  }

  /**
   * Reopens region 1's state machine over the same engine after a region image replaced its
   * records (its counters, sessions and leases are cached). Called under `locked`.
   */
  async reopenFirst(): Promise<void> {
    const wanted = this.kv.redisEventsWanted;
    this.kv.garbage.stop();
    this.kv = await openFirstRegion(this.db);
    configureRegionKv(this.kv, this.clock);
    this.kv.redisEventsWanted = wanted;
    this.installed++;
  }

  /**
   * A read that meets the engine being replaced gets a retryable error; one
   * that meets corrupted bytes gets CORRUPTION, never data, and is recorded.
   */
  async read<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw this.#readError(err);
    }
  }

  /** `read` for a synchronous read, answered in the same turn. */
  readNow<T>(run: () => T): T {
    try {
      return run();
    } catch (err) {
      throw this.#readError(err);
    }
  }

  #readError(err: unknown): unknown {
    if (err instanceof ClosedError) {
      return new ServiceError(ErrorCode.UNAVAILABLE, "the state machine is being replaced; retry");
    }
    if (err instanceof CorruptionError) {
      this.corruption ??= err;
      return new ServiceError(ErrorCode.CORRUPTION, `${err.message}; this node refuses to serve`);
    }
    return err;
  }

  async close(): Promise<void> {
    // Out of space, an apply may be waiting (under the lock) for room that never
    // comes: closing the engine first makes it fail, so the lock is released.
    if (this.db.outOfSpace !== undefined) await this.db.close();
    this.kv.garbage.stop();
    return this.locked(() => this.db.close());
  }
}

/** Finishes or undoes an engine swap that a crash interrupted. */
async function recoverSwap(fs: FileSystem, dataDir: string): Promise<void> {
  const kv = `${dataDir}/kv`, old = `${dataDir}/kv-old`;
  if (fs.stat(kv) === undefined && fs.stat(old) !== undefined) fs.rename(old, kv);
  removeTree(fs, old);
  removeTree(fs, `${dataDir}/kv-incoming`);
  await fs.syncDir(dataDir);
}
