/**
 * The durable Raft log: hard state, entries and snapshot markers in a
 * sequence of segment files on the shared checksummed record format
 * (util/record_format.ts), plus snapshot files. It keeps a `MemoryStorage`
 * as the in-memory view the core reads. Layout and recovery: docs/raft.md.
 *
 * - `save(ready)` writes everything a Ready must persist as records appended
 *   to the current segment, then issues ONE fsync (group commit: the Ready
 *   already batches everything that arrived meanwhile).
 * - A conflicting suffix is truncated logically: an Entries record starting
 *   at index i replaces every earlier entry >= i when the log is replayed.
 * - Each new segment starts with a checkpoint (snapshot marker, conf state,
 *   hard state), so a segment whose entries are all covered by a durable
 *   snapshot can be removed.
 * - The current segment is zero-filled ahead of its records (see
 *   PREALLOCATE_BYTES_DEFAULT), so most fsyncs do not change the file's size;
 *   a roll cuts the zeros off the old segment first.
 * - Recovery replays the segments (read by log_segments.ts); a torn tail of
 *   the LAST segment (a crash mid-write, or its preallocated zeros) is
 *   truncated to the last valid record; damage anywhere else is a
 *   `CorruptionError`.
 * - A full disk (`NoSpaceError`, from a write or an fsync) is not fatal: the
 *   current segment is cut back to its last fsynced offset, that cut is
 *   fsynced, and the call fails having changed nothing in memory; the caller
 *   retries the same save later (docs/decisions/0005-disk-full-and-fsync.md).
 *   Any other failed write or fsync is sticky: every later call fails with
 *   `ClosedError`, since the file's tail is in an unknown state.
 */
import { assert } from "../util/assert.ts";
import { checkPersistRequest } from "./persist_check.ts";
import { ByteWriter } from "../util/coding.ts";
import { ClosedError, errorMessage, NoSpaceError } from "../util/errors.ts";
import { RecordWriter } from "../util/record_format.ts";
import type { File, FileSystem } from "../platform/types.ts";
import type { ConfState, Entry, HardState, Snapshot, SnapshotMetadata } from "./core/messages.ts";
import { MemoryStorage } from "./core/storage.ts";
import { encodeLogRecord, type LogRecord, LogRecordKind } from "./log_codec.ts";
import { readSegments, type Segment, segmentName } from "./log_segments.ts";
import { readSnapshotFile, writeSnapshotFile } from "./snapshot_file.ts";
import { replay } from "./log_replay.ts";

export interface LogStoreOptions {
  /** Segment size at which a new segment is started. */
  readonly segmentBytes?: number;
  /** Step of the zeros written ahead of the records (default 1 MiB; 0: none). */
  readonly preallocateBytes?: number;
}

/** The durable part of a Ready. */
export interface PersistRequest {
  readonly hardState: HardState | undefined;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | undefined;
  readonly mustSync: boolean;
}

const SEGMENT_BYTES_DEFAULT = 64 * 1024 * 1024;

/**
 * Zeroed space is written ahead of the current segment's end, in steps of this
 * size. An fdatasync after a write that grows the file must also commit the
 * file system's journal (the size changed); after a write over blocks already
 * written it only flushes data: on this machine's ext4, 1.2-1.5x the fsyncs per
 * second, and a p99 of 1.4-1.6 ms instead of 4.7-6.0 ms while tables are being
 * written (bench/log_prealloc_bench.ts). Recovery reads the zeros as the
 * end of the log (record type 0 is reserved for them) and cuts them off.
 */
const PREALLOCATE_BYTES_DEFAULT = 1024 * 1024;
export class LogStore {
  readonly storage: MemoryStorage;
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #zeros: Uint8Array;
  readonly #segments: Segment[];
  #file: File;
  #writer: RecordWriter;
  readonly #scratch = new ByteWriter(4096);
  #failed: Error | undefined = undefined;
  /** Bytes of the current segment known to be on disk (fsynced). */
  #syncedBytes: number;
  /** Size of the current segment file: written records plus the zeros ahead of them. */
  #allocatedBytes: number;
  /** A segment roll failed for lack of space: retried before the next write. */
  #rollPending = false;
  /** A write or fsync failed for lack of space: the tail must be cut back before the next one. */
  #tailDirty = false;
  /** Index of the newest durable snapshot file. */
  #snapIndex: number;
  /** Segment fsyncs completed (for metrics; directory syncs not counted). */
  syncs = 0;

  private constructor(
    fs: FileSystem,
    dir: string,
    opts: LogStoreOptions,
    storage: MemoryStorage,
    segments: Segment[],
    file: File,
  ) {
    this.#fs = fs;
    this.#dir = dir;
    this.#segmentBytes = opts.segmentBytes ?? SEGMENT_BYTES_DEFAULT;
    const step = opts.preallocateBytes ?? PREALLOCATE_BYTES_DEFAULT;
    assert(Number.isSafeInteger(step) && step >= 0, "preallocateBytes");
    this.#zeros = new Uint8Array(step);
    this.storage = storage;
    this.#segments = segments;
    this.#file = file;
    this.#writer = new RecordWriter(file.size());
    this.#syncedBytes = file.size();
    this.#allocatedBytes = file.size();
    this.#snapIndex = storage.snapshot().metadata.index;
  }

  /** Opens (creating if needed) the log in `dir` and recovers its state. */
  static async open(fs: FileSystem, dir: string, opts: LogStoreOptions = {}): Promise<LogStore> {
    fs.mkdir(dir);
    const { segments, records } = await readSegments(fs, dir);
    const state = replay(records);
    const storage = new MemoryStorage();
    if (state.snapshot.index > 0) {
      storage.applySnapshot(readSnapshotFile(fs, dir, state.snapshot.index));
    }
    storage.append(state.entries.filter((e) => e.index > state.snapshot.index));
    storage.setHardState(state.hardState);
    storage.confState = state.confState;
    let file: File;
    const lastSeg = segments[segments.length - 1];
    if (lastSeg === undefined) {
      segments.push({ seq: 1, maxIndex: 0 });
      file = fs.open(`${dir}/${segmentName(1)}`, { create: true });
      await fs.syncDir(dir);
    } else {
      file = fs.open(`${dir}/${segmentName(lastSeg.seq)}`);
    }
    return new LogStore(fs, dir, opts, storage, segments, file);
  }

  #check(): void {
    if (this.#failed !== undefined) {
      throw new ClosedError(`raft log failed earlier: ${errorMessage(this.#failed)}`);
    }
  }

  #record(rec: LogRecord): void {
    this.#writer.append(encodeLogRecord(this.#scratch, rec));
    this.#scratch.reset(); // drops the buffer a large entry grew (ByteWriter.reset)
  }

  /** Bytes written to the current segment (the writer's size minus what it still holds). */
  get #writtenBytes(): number {
    return this.#writer.fileBytes - this.#writer.pendingBytes;
  }

  #flush(): void {
    if (this.#writer.pendingBytes === 0) return;
    const at = this.#writtenBytes;
    const data = this.#writer.take();
    this.#file.write(at, data);
    const end = at + data.length;
    const step = this.#zeros.length;
    if (end > this.#allocatedBytes && step > 0) {
      // Zeros up to the next step boundary, made durable by the same fsync as the records.
      const target = (Math.floor(end / step) + 1) * step;
      this.#file.write(end, this.#zeros.subarray(0, target - end));
      this.#allocatedBytes = target;
    }
  }

  async #sync(): Promise<void> {
    const written = this.#writtenBytes;
    await this.#file.sync();
    this.syncs++;
    this.#syncedBytes = written;
  }

  /**
   * Persists a Ready's snapshot, entries and hard state, durably when
   * `mustSync`. Must complete before the Ready's messages are sent.
   */
  async save(req: PersistRequest): Promise<void> {
    this.#check();
    await this.#sticky(() => this.#save(req));
  }

  /**
   * Runs a write. A full disk rewinds the segment to its last fsynced offset
   * and rethrows (retryable); any other failure, or a failed rewind, makes the
   * store fail for good: the tail of the log is in an unknown state.
   */
  async #sticky(fn: () => Promise<void>): Promise<void> {
    try {
      if (this.#tailDirty) await this.#rewind();
      await fn();
    } catch (err) {
      if (err instanceof NoSpaceError) {
        await this.#tryRewind();
        throw err;
      }
      this.#failed ??= err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  }

  /**
   * After a full disk: cuts the current segment back to its last fsynced
   * offset and fsyncs that cut, so no torn or unsynced bytes stay behind the
   * records written next. A failed fsync is never retried over the same bytes
   * (after a failed fsync the kernel may have dropped them while reporting the
   * pages clean); they are cut and written again. Records written but not yet
   * synced are only commit-index hard states and conf states: both are recorded
   * again from memory. Runs before the next write; until it succeeds nothing
   * else is written (a NoSpaceError here is retried too).
   */
  async #rewind(): Promise<void> {
    this.#file.truncate(this.#syncedBytes);
    this.#allocatedBytes = this.#syncedBytes;
    await this.#file.sync();
    this.#writer = new RecordWriter(this.#syncedBytes);
    this.#record({ kind: LogRecordKind.ConfState, confState: this.storage.confState });
    this.#record({ kind: LogRecordKind.HardState, hardState: this.storage.hardState });
    this.#tailDirty = false;
  }

  /** Cuts the tail back now if it can (frees the space at once); else before the next write. */
  async #tryRewind(): Promise<void> {
    this.#tailDirty = true;
    try {
      await this.#rewind();
    } catch (err) {
      if (!(err instanceof NoSpaceError)) {
        this.#failed ??= err instanceof Error ? err : new Error(String(err));
      }
    }
  }

  /** Writes everything first, then changes memory: a failed save changes nothing. */
  async #save(req: PersistRequest): Promise<void> {
    checkPersistRequest(req, {
      lastIndex: this.storage.lastIndex(),
      hardState: this.storage.hardState,
    });
    if (this.#rollPending) await this.#roll();
    const snap = req.snapshot;
    if (snap !== undefined) {
      await writeSnapshotFile(this.#fs, this.#dir, snap);
      this.#record({ kind: LogRecordKind.SnapshotInstall, metadata: snap.metadata });
    }
    if (req.entries.length > 0) this.#record({ kind: LogRecordKind.Entries, entries: req.entries });
    if (req.hardState !== undefined) {
      this.#record({ kind: LogRecordKind.HardState, hardState: req.hardState });
    }
    this.#flush();
    if (req.mustSync || snap !== undefined) await this.#sync();
    if (snap !== undefined) {
      // A snapshot received from the leader replaces the log.
      this.storage.applySnapshot(snap);
      this.#snapIndex = snap.metadata.index;
    }
    if (req.entries.length > 0) {
      const seg = this.#segments[this.#segments.length - 1];
      assert(seg !== undefined, "there is always a current segment");
      seg.maxIndex = Math.max(seg.maxIndex, req.entries[req.entries.length - 1]?.index ?? 0);
    }
    this.storage.append(req.entries);
    if (req.hardState !== undefined) this.storage.setHardState(req.hardState);
    if (this.#writer.fileBytes >= this.#segmentBytes) await this.#rollLater();
  }

  /** Records the configuration after the driver applied a conf change. */
  setConfState(cs: ConfState): void {
    this.#check();
    this.storage.confState = cs;
    // Written with the next save and made durable by its sync.
    this.#record({ kind: LogRecordKind.ConfState, confState: cs });
  }

  /**
   * Compacts the log up to `index` (applied by the state machine, whose image
   * is `data`), then removes segments and snapshot files no longer needed.
   */
  async compact(index: number, confState: ConfState, data: Uint8Array): Promise<void> {
    this.#check();
    if (index <= this.#snapIndex) return;
    await this.#sticky(() => this.#compact(index, confState, data));
  }

  async #compact(index: number, confState: ConfState, data: Uint8Array): Promise<void> {
    if (this.#rollPending) await this.#roll();
    const snap = this.storage.createSnapshot(index, confState, data);
    await writeSnapshotFile(this.#fs, this.#dir, snap);
    this.#record({ kind: LogRecordKind.Snapshot, metadata: snap.metadata });
    this.#flush();
    await this.#sync();
    this.storage.compact(index);
    this.#snapIndex = index;
    await this.#rollLater();
    await this.#collectGarbage();
  }

  /**
   * Rolls to a new segment; without space, the roll is retried before the
   * next write (nothing is appended to the old segment after a roll attempt,
   * so a leftover new segment holds a checkpoint of the latest state).
   */
  async #rollLater(): Promise<void> {
    try {
      await this.#roll();
    } catch (err) {
      if (!(err instanceof NoSpaceError)) throw err;
      // The save is durable; the roll is retried, and the old segment (which may
      // have lost a flush) is cut back first, like after any full-disk failure.
      this.#rollPending = true;
      await this.#tryRewind();
    }
  }

  /**
   * Starts a new segment that begins with a checkpoint of the current state.
   * The old segment stays current until the new one is durable.
   */
  async #roll(): Promise<void> {
    this.#flush();
    // The old segment loses its zeros before the new one exists: only the last
    // segment may end in anything but whole records.
    this.#file.truncate(this.#writtenBytes);
    this.#allocatedBytes = this.#writtenBytes;
    await this.#sync();
    const seq = (this.#segments[this.#segments.length - 1]?.seq ?? 0) + 1;
    const path = `${this.#dir}/${segmentName(seq)}`;
    const file = this.#fs.open(path, { create: true, truncate: true });
    const writer = new RecordWriter(0);
    const meta: SnapshotMetadata = this.storage.snapshot().metadata;
    const records: LogRecord[] = [
      { kind: LogRecordKind.ConfState, confState: this.storage.confState },
      { kind: LogRecordKind.HardState, hardState: this.storage.hardState },
    ];
    if (meta.index > 0) records.unshift({ kind: LogRecordKind.Snapshot, metadata: meta });
    try {
      for (const rec of records) writer.append(encodeLogRecord(this.#scratch, rec));
      file.write(0, writer.take());
      await file.sync();
      await this.#fs.syncDir(this.#dir);
    } catch (err) {
      file.close();
      removeQuietly(this.#fs, path);
      throw err;
    }
    this.#file.close();
    this.#file = file;
    this.#writer = writer;
    this.#syncedBytes = writer.fileBytes;
    this.#allocatedBytes = writer.fileBytes;
    this.#segments.push({ seq, maxIndex: 0 });
    this.#rollPending = false;
  }

  /** Removes segments whose entries are all covered by the snapshot, and old snapshots. */
  async #collectGarbage(): Promise<void> {
    let removed = false;
    while (this.#segments.length > 1) {
      const seg = this.#segments[0];
      if (seg === undefined || seg.maxIndex > this.#snapIndex) break;
      this.#fs.remove(`${this.#dir}/${segmentName(seg.seq)}`);
      this.#segments.shift();
      removed = true;
    }
    for (const name of this.#fs.list(this.#dir)) {
      const m = /^snap-(\d{16})\.snap$/.exec(name);
      if (m !== null && Number(m[1]) < this.#snapIndex) {
        this.#fs.remove(`${this.#dir}/${name}`);
        removed = true;
      }
    }
    if (removed) await this.#fs.syncDir(this.#dir);
  }

  /** Number of segment files (for tests). */
  get segmentCount(): number {
    return this.#segments.length;
  }

  close(): void {
    this.#file.close();
  }
}

/** Frees the space of a file that was never made part of the log; failures are harmless. */
function removeQuietly(fs: FileSystem, path: string): void {
  try {
    fs.remove(path);
  } catch {
    // A leftover file holds a checkpoint of the latest state or is torn: recovery handles both.
  }
}
