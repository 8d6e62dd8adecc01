/**
 * Background work: flushing the immutable memtable to a level-0 table and
 * running compactions, each in bounded steps. Errors here are sticky (leveldb
 * RecordBackgroundError): the database stops accepting writes. Except a full
 * disk: a job that fails with `NoSpaceError` has installed nothing (its
 * tables are not in any version, the manifest was cut back), so its partial
 * outputs are deleted and it is retried after a backoff; writers wait for
 * room meanwhile (with a clock; without one it stays sticky).
 */
import { COMPACTION_STEP_ENTRIES, DISK_RETRY_MS_MAX, DISK_RETRY_MS_MIN } from "../limits.ts";
import type { TimerId } from "../platform/types.ts";
import { assert } from "../util/assert.ts";
import { NoSpaceError } from "../util/errors.ts";
import { type JobOutputs, runCompaction } from "./compaction/compactor.ts";
import { flushBlobPolicy, OutputSet, stateOutputHost } from "./compaction/output_set.ts";
import { type Compaction, pickBlobCollection, pickCompaction } from "./compaction/picker.ts";
import type { DbState } from "./db_state.ts";
import { collectGarbage } from "./gc.ts";
import { encodeFlushRun } from "./jobs/flush_run.ts";
import type { Memtable } from "./memtable/memtable.ts";
import type { SkipNode } from "./memtable/skiplist.ts";
import { VersionEdit } from "./version/version_edit.ts";

/**
 * Writes the immutable memtable as one level-0 table and logs the edit. An
 * older version of a key is left out when the newer one is visible to every
 * snapshot (compaction's first rule, applied early): nothing can read it.
 * With overwrites that is most of a memtable (100,000 puts on 10,000 keys
 * flush as 10,000 entries), and every entry not written is work saved in
 * this flush and in each compaction after it. With a background worker the
 * serving thread only copies the surviving entries into buffers it hands over; the
 * worker builds and syncs the table (jobs/flush_run.ts).
 */
export async function flushImmutable(s: DbState): Promise<void> {
  const imm = s.imm;
  if (imm === undefined) return;
  const worker = s.usableWorker();
  let done: JobOutputs | undefined;
  try {
    if (worker !== undefined) {
      const run = await encodeFlushRun(s, imm);
      if (run === undefined) return;
      done = await worker.flush(run, flushBlobPolicy(s.options));
    } else {
      done = await flushInline(s, imm);
    }
    if (done === undefined || (s.closed && s.options.wal)) return; // the WAL still holds it
    // The edit logs vs.lastSequence: it must cover every sequence in the new table.
    assert(imm.lastSeq <= s.vs.lastSequence, `flushed sequence ${imm.lastSeq} not logged`);
    const edit = new VersionEdit();
    for (const f of done.outputs) edit.added.push([0, f]);
    edit.blobFiles.push(...done.blobFiles);
    if (s.options.wal) edit.logNumber = s.mem.walNumber;
    await s.vs.logAndApply(edit);
    s.imm = undefined;
    s.counters.flushes++;
    s.levelZeroBatch.note(done.outputs.reduce((sum, f) => sum + f.size, 0));
  } finally {
    for (const f of done?.outputs ?? []) s.pendingOutputs.delete(f.number);
    for (const b of done?.blobFiles ?? []) s.pendingOutputs.delete(b.number);
  }
  collectGarbage(s);
}

/** The flush on the serving thread, in bounded steps (no worker: the simulation). */
async function flushInline(s: DbState, imm: Memtable): Promise<JobOutputs | undefined> {
  const out = new OutputSet(
    stateOutputHost(s),
    Number.MAX_SAFE_INTEGER,
    "none",
    flushBlobPolicy(s.options),
  );
  let finished = false;
  try {
    const c = imm.nodeCursor();
    const smallestSnapshot = s.smallestSnapshot();
    let current: SkipNode | undefined;
    let newerSeq = Number.MAX_SAFE_INTEGER;
    let steps = 0;
    for (c.seekToFirst(); c.valid(); c.next()) {
      // The bytes go from the node's batch buffer into the table: no view per entry.
      const n = c.node(), seq = n.seq;
      if (!c.sameKeyAsPrevious(current)) newerSeq = Number.MAX_SAFE_INTEGER;
      current = n;
      if (seq >= newerSeq) {
        assert(false, `memtable versions of a key out of order at sequence ${seq}`);
      }
      // Versions of a key come newest first: this one is shadowed if a newer one is visible to all.
      if (
        newerSeq > smallestSnapshot &&
        !out.tryAddFrom(n.buf, n.koff, n.klen, seq, n.kind, n.buf, n.voff, n.vlen, false)
      ) await out.add(n.key, seq, n.kind, n.value, false);
      newerSeq = seq;
      if (++steps % COMPACTION_STEP_ENTRIES === 0) await s.yieldNow();
      if (s.closed && s.options.wal) return undefined; // the WAL still holds it
    }
    const outputs = await out.finish();
    finished = true;
    return out.result(outputs);
  } finally {
    if (!finished) out.release();
  }
}

export class Background {
  #flushing: Promise<void> | undefined;
  #compacting: Promise<void> | undefined;
  /** While set, automatic compactions do not start (a manual one is running). */
  paused = false;
  #retryDelayMs = DISK_RETRY_MS_MIN;
  #retryTimer: TimerId | undefined;

  constructor(readonly s: DbState) {}

  get busy(): boolean {
    return this.#flushing !== undefined || this.#compacting !== undefined;
  }

  schedule(): void {
    const s = this.s;
    if (s.failed !== undefined || s.closed || this.#retryTimer !== undefined) return;
    if (s.imm !== undefined && this.#flushing === undefined) {
      this.#flushing = this.#guard(() => flushImmutable(s)).finally(() => {
        this.#flushing = undefined;
        this.schedule();
      });
    }
    if (this.#compacting === undefined && !this.paused && this.#pick() !== undefined) {
      this.#compacting = this.#compactAll().finally(() => {
        this.#compacting = undefined;
        this.schedule();
      });
    }
  }

  #pick(): Compaction | undefined {
    const s = this.s;
    return pickCompaction(s.vs.current, s.vs.compactPointers, s.levelZeroBatch.bytes) ??
      pickBlobCollection(s.vs.current, s.vs.blobFiles);
  }

  async #guard(job: () => Promise<void>): Promise<void> {
    const s = this.s;
    try {
      await job();
      s.noSpace = undefined;
      this.#retryDelayMs = DISK_RETRY_MS_MIN;
    } catch (err) {
      if (err instanceof NoSpaceError && this.#retryLater()) {
        s.noSpace = err;
      } else {
        s.fail(err);
      }
    }
    s.notifyProgress();
  }

  /** After a full disk: frees the job's partial outputs, schedules a retry. */
  #retryLater(): boolean {
    const s = this.s, clock = s.options.clock;
    if (clock === undefined || s.closed) return false;
    try {
      collectGarbage(s); // partial tables are in no version and no longer pending
    } catch {
      return false;
    }
    if (this.#retryTimer === undefined) {
      this.#retryTimer = clock.setTimeout(() => {
        this.#retryTimer = undefined;
        this.schedule();
      }, this.#retryDelayMs);
      this.#retryDelayMs = Math.min(DISK_RETRY_MS_MAX, this.#retryDelayMs * 2);
    }
    return true;
  }

  /** Cancels a pending retry (the database is closing). */
  cancelRetry(): void {
    if (this.#retryTimer !== undefined) this.s.options.clock?.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  async #compactAll(): Promise<void> {
    const s = this.s;
    for (;;) {
      await s.yieldNow();
      const c = this.#pick();
      if (c === undefined || this.paused || s.closed || s.failed !== undefined) return;
      if (this.#retryTimer !== undefined) return; // out of space: wait for the retry
      await this.#guard(async () => {
        await runCompaction(s, c);
        collectGarbage(s);
      });
    }
  }

  /** Runs one compaction now (manual), with automatic ones held off. */
  async runManual(c: Compaction): Promise<void> {
    await this.#guard(async () => {
      await runCompaction(this.s, c);
      collectGarbage(this.s);
    });
    if (this.s.failed !== undefined) throw this.s.failed;
    if (this.s.noSpace !== undefined) throw this.s.noSpace;
  }

  /** Resolves when no background job is running. */
  async idle(): Promise<void> {
    while (this.#flushing !== undefined || this.#compacting !== undefined) {
      await Promise.all([this.#flushing, this.#compacting]);
    }
  }
}
