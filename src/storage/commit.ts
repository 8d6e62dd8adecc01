/**
 * The write path with group commit. Writers queue; one drain loop takes every
 * batch queued so far (up to COMMIT_GROUP_BYTES_MAX), assigns sequence
 * numbers, appends them to the WAL in one write and — in `always` mode —
 * awaits one fdatasync for the whole group before applying it to the memtable
 * and acknowledging. A failed write or sync is sticky. When nothing is queued
 * and no fsync is needed, a write completes synchronously (no queue, no await).
 */
import { markBatch } from "./write_marks.ts";
import { COMMIT_GROUP_BYTES_MAX, L0_FILES_SLOWDOWN, L0_FILES_STOP } from "../limits.ts";
import { assert } from "../util/assert.ts";
import { readFixed32, readFixed64 } from "../util/coding.ts";
import { ClosedError } from "../util/errors.ts";
import type { Background } from "./background.ts";
import type { DbState } from "./db_state.ts";
import { Memtable } from "./memtable/memtable.ts";
import { join, walName } from "./version/file_names.ts";
import { walPrealloc, WalWriter } from "./wal/wal_writer.ts";
import { type EncodedBatch, setBatchSeq } from "./write_batch.ts";

interface Pending {
  /** undefined: a request to rotate the memtable (from `flush()`), run in queue order. */
  readonly batch: EncodedBatch | undefined;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

const RESOLVED: Promise<void> = Promise.resolve();

export class Committer {
  #queue: Pending[] = [];
  #running = false;
  #syncing = false;
  #dirty = false;
  #idleWaiters: (() => void)[] = [];

  constructor(readonly s: DbState, readonly bg: Background) {}

  submit(batch: EncodedBatch): Promise<void> {
    const s = this.s;
    try {
      s.checkWritable();
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.#running && (s.options.sync !== "always" || !s.options.wal) && this.#roomNow()) {
      try {
        this.#write([batch]);
      } catch (err) {
        return Promise.reject(s.fail(err)); // the WAL's state is unknown: sticky
      }
      if (s.options.sync === "batched") this.#backgroundSync();
      this.#apply([batch]);
      return RESOLVED;
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ batch, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  /** Rotates the memtable (if it holds anything) after every write queued before. */
  rotate(): Promise<void> {
    try {
      this.s.checkWritable();
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ batch: undefined, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  #roomNow(): boolean {
    const s = this.s;
    return s.mem.bytes < s.options.memtableBytes &&
      s.vs.current.levels[0].length < L0_FILES_SLOWDOWN;
  }

  /** Resolves once every queued write has been committed or rejected. */
  idle(): Promise<void> {
    if (!this.#running) return RESOLVED;
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async #drain(): Promise<void> {
    this.#running = true;
    const s = this.s;
    while (this.#queue.length > 0) {
      let group: Pending[] = [];
      try {
        const head = this.#queue[0];
        if (head.batch === undefined) {
          this.#queue.shift();
          await this.makeRoom(true).then(head.resolve, head.reject);
          continue;
        }
        await this.makeRoom(false);
        group = this.#takeGroup();
        const batches: EncodedBatch[] = [];
        for (const p of group) if (p.batch !== undefined) batches.push(p.batch);
        this.#write(batches);
        if (s.wal !== undefined && s.options.sync === "always") await this.#syncAndApply(batches);
        else {
          if (s.options.sync === "batched") this.#backgroundSync();
          this.#apply(batches);
        }
        for (const p of group) p.resolve();
      } catch (err) {
        // Closed or already failed: pass that on. Anything else (a WAL append, sync or
        // rotation error) leaves the log in an unknown state: sticky failure.
        const e = err instanceof ClosedError ? err : s.fail(err);
        for (const p of group) p.reject(e);
        for (const p of this.#queue.splice(0)) p.reject(e);
      }
    }
    this.#running = false;
    for (const fn of this.#idleWaiters.splice(0)) fn();
  }

  #takeGroup(): Pending[] {
    let bytes = 0;
    let n = 0;
    while (n < this.#queue.length && (n === 0 || bytes < COMMIT_GROUP_BYTES_MAX)) {
      const b = this.#queue[n].batch;
      if (b === undefined) break;
      bytes += b.payload.length;
      n++;
    }
    this.s.counters.commitGroups++;
    return this.#queue.splice(0, n);
  }

  #write(batches: readonly EncodedBatch[]): void {
    let seq = this.s.vs.lastSequence + 1;
    for (const b of batches) {
      setBatchSeq(b.payload, seq);
      seq += b.count;
    }
    this.s.wal?.appendGroup(batches.map((b) => b.payload));
  }

  /**
   * Waits for the group's fdatasync while inserting it into the memtable: the insert
   * overlaps the disk, and the entries stay invisible until the sync is done, because
   * every read is bounded by `lastSequence`, published only after it. (Rotation and
   * flushes of this memtable queue behind this group: nothing flushes them before.)
   */
  async #syncAndApply(batches: readonly EncodedBatch[]): Promise<void> {
    const s = this.s;
    const synced = (s.wal as WalWriter).sync();
    let seq: number;
    try {
      seq = this.#insert(batches);
    } catch (err) {
      await synced.catch(() => {});
      throw err;
    }
    await synced;
    s.counters.walSyncs++;
    s.vs.lastSequence = seq;
    this.#mark(batches);
  }

  #apply(batches: readonly EncodedBatch[]): void {
    this.s.vs.lastSequence = this.#insert(batches);
    this.#mark(batches);
  }

  /** Write marks are raised as the batches become visible (write_marks.ts), not before. */
  #mark(batches: readonly EncodedBatch[]): void {
    if (this.s.writeMarks.length === 0) return;
    for (const b of batches) markBatch(this.s.writeMarks, b);
  }

  /** Inserts the batches into the memtable; returns the last sequence (not yet published). */
  #insert(batches: readonly EncodedBatch[]): number {
    const s = this.s;
    const mem = s.mem;
    let seq = s.vs.lastSequence;
    for (const b of batches) {
      // What the WAL holds must replay as what the memtable gets: same sequences, same count.
      if (readFixed64(b.payload, 0) !== seq + 1) {
        assert(false, `batch sequence is not ${seq + 1}`);
      }
      assert(
        readFixed32(b.payload, 8) === b.count && b.kinds.length === b.count &&
          b.offsets.length === 4 * b.count,
        `batch count ${b.count} differs from its encoding`,
      );
      mem.addBatch(b, seq + 1);
      seq += b.count;
    }
    return seq;
  }

  #backgroundSync(): void {
    if (this.s.wal === undefined) return;
    if (this.#syncing) {
      this.#dirty = true;
      return;
    }
    this.#syncing = true;
    void this.#syncLoop();
  }

  async #syncLoop(): Promise<void> {
    const s = this.s;
    try {
      do {
        this.#dirty = false;
        const wal = s.wal;
        if (wal === undefined || s.closed) break;
        await wal.sync();
        s.counters.walSyncs++;
      } while (this.#dirty);
    } catch (err) {
      s.fail(err);
    } finally {
      this.#syncing = false;
    }
  }

  /**
   * Staged backpressure, then memtable rotation: with L0 at the slowdown mark
   * each write first yields once to background work; with the memtable full
   * and the previous one still flushing, or L0 at the stop mark, writes wait.
   */
  async makeRoom(force: boolean): Promise<void> {
    const s = this.s;
    let slowed = false;
    for (;;) {
      s.checkWritable();
      const l0 = s.vs.current.levels[0].length;
      if (!force && !slowed && l0 >= L0_FILES_SLOWDOWN && l0 < L0_FILES_STOP) {
        s.counters.writeSlowdowns++;
        slowed = true;
        this.bg.schedule();
        await s.pause();
        continue;
      }
      if (!force && s.mem.bytes < s.options.memtableBytes) return;
      if (force && s.mem.count === 0) return;
      if (s.imm !== undefined) {
        // Out of space: an explicit flush fails now; writers wait for the retry.
        if (force && s.noSpace !== undefined) throw s.noSpace;
        s.counters.memtableStalls++;
        this.bg.schedule();
        await s.progress(!force);
        continue;
      }
      if (l0 >= L0_FILES_STOP) {
        s.counters.writeStops++;
        this.bg.schedule();
        await s.progress(!force);
        continue;
      }
      await this.#rotate();
      this.bg.schedule();
      return;
    }
  }

  async #rotate(): Promise<void> {
    const s = this.s;
    if (s.options.wal) {
      const old = s.wal;
      if (old !== undefined) {
        await old.idle();
        if (old.syncedBytes < old.appendedBytes) await old.sync(); // WALs stay a prefix
      }
      const n = s.vs.newFileNumber();
      const file = s.fs.open(join(s.dir, walName(n)), { create: true, truncate: true });
      await s.fs.syncDir(s.dir);
      s.wal = new WalWriter(file, n, walPrealloc(s.options.memtableBytes));
      old?.close();
    }
    s.imm = s.mem;
    s.mem = new Memtable(s.prng.fork(), s.wal?.number ?? 0, s.mem.pointReadBytes());
  }
}
