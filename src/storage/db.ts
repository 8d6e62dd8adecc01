/**
 * The embedded engine's public API (abstract-level shapes): `Db.open(fs, dir,
 * options)`, then get / put / delete / write / scan / snapshot / flush /
 * compactRange / stats / close. Keys and values are bytes; strings are
 * accepted and UTF-8 encoded. `get` is synchronous: every read is served from
 * memory or a positional file read, so it never needs a promise.
 */
import { WriteMark } from "./write_marks.ts";
import type { FileSystem } from "../platform/types.ts";
import { toBytes } from "../util/bytes.ts";
import { ClosedError, InvalidArgumentError } from "../util/errors.ts";
import { Background } from "./background.ts";
import { Committer } from "./commit.ts";
import { rangeCompaction } from "./compaction/picker.ts";
import { openState } from "./db_open.ts";
import { preloadTables } from "./preload.ts";
import type { DbState } from "./db_state.ts";
import { ValueKind } from "./internal_key.ts";
import { type DbOptions, resolveOptions } from "./options.ts";
import { rangeSize, rangeSplitKeys } from "./range_size.ts";
import { scanChunks, scanEntries, scanEntriesSync, type ScanOptions } from "./scan.ts";
import { bloomHash } from "./sstable/bloom.ts";
import { type ReadOptions, Snapshot, takeSnapshot } from "./db_snapshot.ts";
import { rangeLiveBytes } from "./live_bytes.ts";
import { collectStats, type DbStats } from "./stats.ts";
import { NUM_LEVELS } from "./version/version_edit.ts";
import { checkKey, encodeBatch, encodeSingle, type KeyLike, type WriteOp } from "./write_batch.ts";

export type { DbOptions, DbStats, KeyLike, ScanOptions, WriteOp };
export { type ReadOptions, Snapshot };

/** Reads a value in place (`Db.getWith`): `buf[off, off+len)`, only during the call. */
export interface ValueReader<T> {
  read(buf: Uint8Array, off: number, len: number): T;
}
/** `get`'s reader: a copy the caller owns. */
const COPY: ValueReader<Uint8Array> = { read: (buf, off, len) => buf.slice(off, off + len) };
export class Db {
  readonly #s: DbState;
  readonly #bg: Background;
  readonly #commit: Committer;
  #closing = false;

  private constructor(s: DbState) {
    this.#s = s;
    this.#bg = new Background(s);
    this.#commit = new Committer(s, this.#bg);
    this.#bg.schedule();
    void preloadTables(s);
  }

  /** Opens (creating if needed) the database in `dir` on the given file system. */
  static async open(fs: FileSystem, dir: string, options: DbOptions = {}): Promise<Db> {
    return new Db(await openState(fs, dir, resolveOptions(options)));
  }

  #seq(options: ReadOptions | undefined): number {
    const snap = options?.snapshot;
    if (snap === undefined) return this.#s.vs.lastSequence;
    if (snap.released || snap.db !== this) {
      throw new InvalidArgumentError("snapshot is released or belongs to another database");
    }
    return snap.seq;
  }

  /** The value of `key`, or undefined. The returned bytes are the caller's. */
  get(key: KeyLike, options?: ReadOptions): Uint8Array | undefined {
    return this.getWith(toBytes(key), COPY, options);
  }

  /**
   * `get` that hands the value to `reader` where it lies, for a caller that only reads it
   * (a memtable hit then allocates nothing). `reader` must not keep the bytes it is given.
   */
  getWith<T>(key: Uint8Array, reader: ValueReader<T>, options?: ReadOptions): T | undefined {
    const s = this.#s;
    if (s.closed) throw new ClosedError("database is closed");
    checkKey(key);
    const seq = this.#seq(options);
    let n = s.mem.get(key, seq);
    if (n === undefined && s.imm !== undefined) n = s.imm.get(key, seq);
    if (n !== undefined) {
      return n.kind === ValueKind.Put ? reader.read(n.buf, n.voff, n.vlen) : undefined;
    }
    const e = s.vs.current.get(key, seq, bloomHash(key), s.tables); // e.value is a copy
    if (e === undefined || e.kind === ValueKind.Delete) return undefined;
    const value = e.kind === ValueKind.BlobRef
      ? s.blobs.readRef(e.value, "a table's blob reference")
      : e.value;
    return reader === COPY ? value as T : reader.read(value, 0, value.length);
  }

  /**
   * Writes end when close() begins: its final flush (with the WAL off, the
   * only copy) covers what was accepted before it, and a write let in during
   * that flush would resolve and then be dropped with the memtable.
   */
  #checkNotClosing(): void {
    if (this.#closing && !this.#s.closed) {
      throw new ClosedError("database is closing: writes are refused once close() has begun");
    }
  }

  put(key: KeyLike, value: KeyLike): Promise<void> {
    try {
      this.#checkNotClosing();
      return this.#commit.submit(encodeSingle(toBytes(key), toBytes(value)));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  delete(key: KeyLike): Promise<void> {
    try {
      this.#checkNotClosing();
      return this.#commit.submit(encodeSingle(toBytes(key), undefined));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Applies every op atomically, in order. */
  write(ops: readonly WriteOp[]): Promise<void> {
    try {
      this.#checkNotClosing();
      return this.#commit.submit(encodeBatch(ops));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * A flag every later write of a key in [start, end) raises (write_marks.ts): lets a caller
   * that found the range empty skip reading it again until something is written there.
   */
  markWrites(start: KeyLike, end: KeyLike): WriteMark {
    const mark = new WriteMark(toBytes(start), toBytes(end));
    this.#s.writeMarks.push(mark);
    return mark;
  }

  /** Entries in key order (descending with `reverse`), as an async iterable of [key, value]. */
  scan(options: ScanOptions & ReadOptions = {}): AsyncIterable<[Uint8Array, Uint8Array]> {
    const s = this.#s;
    if (s.closed) throw new ClosedError("database is closed");
    return scanEntries(s, options, this.#seq(options));
  }

  /**
   * The same entries as `scan`, handed out in arrays of up to `chunkEntries` (default
   * 256): one awaited step per chunk instead of per entry. Each array and its bytes are
   * the caller's. Break out of the loop (or finish it) to release the version.
   */
  scanChunks(
    options: ScanOptions & ReadOptions = {},
    chunkEntries?: number,
  ): AsyncIterable<[Uint8Array, Uint8Array][]> {
    const s = this.#s;
    if (s.closed) throw new ClosedError("database is closed");
    return scanChunks(s, options, this.#seq(options), chunkEntries);
  }

  /**
   * The same entries as `scan`, synchronously: for a caller that must finish
   * in one turn. Break out of the loop (or finish it) to release the version.
   */
  scanSync(options: ScanOptions & ReadOptions = {}): Iterable<[Uint8Array, Uint8Array]> {
    const s = this.#s;
    if (s.closed) throw new ClosedError("database is closed");
    return scanEntriesSync(s, options, this.#seq(options));
  }

  snapshot(): Snapshot {
    if (this.#s.closed) throw new ClosedError("database is closed");
    return takeSnapshot(this.#s.snapshots, this.#s.vs.lastSequence, this);
  }

  /** Writes the memtable to a table and waits until that is durable. */
  async flush(): Promise<void> {
    // A previous memtable still being flushed is waited for here, outside the
    // write queue: the rotation waits in that queue for it otherwise, and every
    // write queued behind waited out the whole flush (150-380 ms, 4 KiB values).
    await this.#immutableFlushed();
    await this.#commit.rotate();
    await this.#immutableFlushed();
  }

  /** Waits until no memtable is being flushed; throws the engine's failure or a full disk. */
  async #immutableFlushed(): Promise<void> {
    const s = this.#s;
    while (s.imm !== undefined) {
      if (s.failed !== undefined) throw s.failed;
      // Out of space with a memtable waiting: the flush cannot finish now.
      if (s.noSpace !== undefined) throw s.noSpace;
      const p = s.progress();
      this.#bg.schedule();
      await p;
    }
    if (s.failed !== undefined) throw s.failed;
  }

  /** The sticky failure (its `cause` is the original error), if the engine failed. */
  get failure(): Error | undefined {
    return this.#s.failed;
  }

  /** Set while flushes or compactions fail for lack of space (retried; writes may wait). */
  get outOfSpace(): Error | undefined {
    return this.#s.noSpace;
  }

  /** Flushes, then compacts every level overlapping [start, end] down to the deepest one. */
  async compactRange(start?: KeyLike, end?: KeyLike): Promise<void> {
    const lo = start === undefined ? undefined : toBytes(start);
    const hi = end === undefined ? undefined : toBytes(end);
    await this.flush();
    const s = this.#s;
    this.#bg.paused = true;
    try {
      await this.#bg.idle();
      let deepest = 1;
      for (let l = 1; l < NUM_LEVELS; l++) {
        if (s.vs.current.overlapping(l, lo, hi).length > 0) deepest = l;
      }
      for (let level = 0; level < deepest; level++) {
        const c = rangeCompaction(s.vs.current, level, lo, hi);
        if (c !== undefined) await this.#bg.runManual(c);
      }
    } finally {
      this.#bg.paused = false;
      this.#bg.schedule();
    }
  }

  /** Approximate table bytes of keys in [start, end) (no end: to the last key); range_size.ts. */
  approximateSize(start: KeyLike, end?: KeyLike): number {
    return rangeSize(this.#s, start, end);
  }

  /**
   * Bytes of the keys and values of the live entries in [start, end) (no end: to the last
   * key), counted until past `limit`: what a range holds, without copying or reading values.
   */
  liveBytes(start: KeyLike, end: KeyLike | undefined, limit: number): number {
    return rangeLiveBytes(this.#s, start, end, limit);
  }

  /** Up to `parts - 1` keys cutting [start, end) into parts of about equal table bytes. */
  splitKeys(start: KeyLike, end: KeyLike | undefined, parts: number): Uint8Array[] {
    return rangeSplitKeys(this.#s, start, end, parts);
  }

  /**
   * Where flushes and compactions run, once that is settled: "worker" (the background
   * thread answered) or "inline" (none configured, or it could not start: `why`).
   */
  async backgroundMode(): Promise<{ mode: "worker" | "inline"; why?: string }> {
    const w = this.#s.worker;
    if (w === undefined) return { mode: "inline", why: "no worker configured" };
    if (await w.usable()) return { mode: "worker" };
    return { mode: "inline", why: w.startFailure?.message ?? "closed" };
  }

  stats(): DbStats {
    return collectStats(this.#s);
  }

  /** Waits for queued writes and background work, then closes every file. */
  async close(): Promise<void> {
    const s = this.#s;
    if (this.#closing) return;
    this.#closing = true;
    if (s.noSpace !== undefined) {
      // Out of space: writers waiting for room fail with ClosedError; the memtables
      // are dropped (the WAL, or with `wal: false` the caller's log, still has them).
      s.closed = true;
      s.notifyProgress();
    }
    await this.#commit.idle();
    if (!s.options.wal && !s.closed && s.failed === undefined) {
      if (s.mem.count > 0 || s.imm !== undefined) await this.flush();
    }
    s.closed = true;
    this.#bg.cancelRetry();
    s.worker?.cancelAll(); // a running job's tables would not be installed now
    await this.#bg.idle();
    s.worker?.close();
    await s.wal?.idle();
    s.wal?.close();
    s.tables.closeAll();
    s.blobs.closeAll();
    s.vs.close();
  }
}
