/**
 * Background work: flushing the immutable memtable to a level-0 table and
 * running compactions, each in bounded steps. Errors here are sticky (leveldb
 * RecordBackgroundError): the database stops accepting writes.
 */
import { COMPACTION_STEP_ENTRIES } from "../limits.ts";
import { runCompaction } from "./compaction/compactor.ts";
import { OutputSet } from "./compaction/output_set.ts";
import { type Compaction, pickCompaction } from "./compaction/picker.ts";
import type { DbState } from "./db_state.ts";
import { collectGarbage } from "./gc.ts";
import { VersionEdit } from "./version/version_edit.ts";

/** Writes the immutable memtable as one level-0 table and logs the edit. */
export async function flushImmutable(s: DbState): Promise<void> {
  const imm = s.imm;
  if (imm === undefined) return;
  const out = new OutputSet(s, Number.MAX_SAFE_INTEGER);
  try {
    const c = imm.cursor();
    let steps = 0;
    for (c.seekToFirst(); c.valid(); c.next()) {
      await out.add(c.key(), c.seq(), c.kind(), c.value(), false);
      if (++steps % COMPACTION_STEP_ENTRIES === 0) await s.yieldNow();
      if (s.closed && s.options.wal) return; // the WAL still holds it
    }
    const edit = new VersionEdit();
    for (const f of await out.finish()) edit.added.push([0, f]);
    if (s.options.wal) edit.logNumber = s.mem.walNumber;
    await s.vs.logAndApply(edit);
    s.imm = undefined;
    s.counters.flushes++;
  } finally {
    out.release();
  }
  collectGarbage(s);
}

export class Background {
  #flushing: Promise<void> | undefined;
  #compacting: Promise<void> | undefined;
  /** While set, automatic compactions do not start (a manual one is running). */
  paused = false;

  constructor(readonly s: DbState) {}

  get busy(): boolean {
    return this.#flushing !== undefined || this.#compacting !== undefined;
  }

  schedule(): void {
    const s = this.s;
    if (s.failed !== undefined || s.closed) return;
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
    return pickCompaction(s.vs.current, s.vs.compactPointers, s.options.level1Bytes);
  }

  async #guard(job: () => Promise<void>): Promise<void> {
    try {
      await job();
    } catch (err) {
      this.s.fail(err);
    }
    this.s.notifyProgress();
  }

  async #compactAll(): Promise<void> {
    const s = this.s;
    for (;;) {
      await s.yieldNow();
      const c = this.#pick();
      if (c === undefined || this.paused || s.closed || s.failed !== undefined) return;
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
  }

  /** Resolves when no background job is running. */
  async idle(): Promise<void> {
    while (this.#flushing !== undefined || this.#compacting !== undefined) {
      await Promise.all([this.#flushing, this.#compacting]);
    }
  }
}
