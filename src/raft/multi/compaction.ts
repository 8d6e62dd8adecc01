/**
 * Log compaction in the multi-region driver (driver.ts): a region whose state
 * machine applied `snapshotEntries` entries since its last compaction, or
 * whose handle asked (`compactNow`), is flushed (`sm.flush`, its applied
 * state made durable) and its log compacted up to its applied index; every
 * region due compacts with one `compact(map)` (one fsync). A full disk keeps
 * them due for the next attempt, after a backoff when the driver has a clock
 * (a flush that fails for lack of space too: the engine is the image, as
 * RaftNode's compaction.ts); any other failure propagates.
 */
import { assert } from "../../util/assert.ts";
import { DISK_RETRY_MS_MAX } from "../../limits.ts";
import { NoSpaceError } from "../../util/errors.ts";
import type { CompactionMark, MultiLogStore } from "../multi_log_store.ts";
import type { RegionReplica } from "./region_replica.ts";

interface Waiter {
  resolve(index: number): void;
  reject(err: unknown): void;
}

export class RegionCompaction {
  readonly #due = new Set<number>();
  readonly #waiters = new Map<number, Waiter[]>();

  /** After a full disk: no attempt before this time. */
  #retryAtMs = 0;

  constructor(
    readonly every: number | undefined,
    readonly nowMs?: () => number,
    /** Or after this many entry bytes applied (a region's entries stay in memory until then). */
    readonly everyBytes?: number,
  ) {}

  get due(): boolean {
    return this.#due.size > 0 && (this.nowMs?.() ?? 0) >= this.#retryAtMs;
  }

  /** After a region applied entries: due once past `every`. */
  check(r: RegionReplica): void {
    if (this.every !== undefined && r.appliedSinceCompaction >= this.every) this.#due.add(r.id);
    const bytes = this.everyBytes;
    if (bytes !== undefined && r.appliedBytesSinceCompaction >= bytes) this.#due.add(r.id);
  }

  /** Compacts `r` at the next attempt whatever the threshold; resolves with its snapshot index. */
  request(r: RegionReplica): Promise<number> {
    assert(r.sm.flush !== undefined, "compaction needs sm.flush");
    this.#due.add(r.id);
    return new Promise<number>((resolve, reject) => {
      const list = this.#waiters.get(r.id);
      if (list === undefined) this.#waiters.set(r.id, [{ resolve, reject }]);
      else list.push({ resolve, reject });
    });
  }

  /** A region removed from the node: its requests fail. */
  forget(id: number): void {
    this.#due.delete(id);
    for (const w of this.#waiters.get(id) ?? []) w.reject(new Error(`region ${id} removed`));
    this.#waiters.delete(id);
  }

  /** Fails every request (the driver halted). */
  failAll(err: unknown): void {
    for (const id of [...this.#waiters.keys()]) {
      for (const w of this.#waiters.get(id) ?? []) w.reject(err);
    }
    this.#waiters.clear();
  }

  /** Flushes and compacts every region due (their applies are done: the driver drained them). */
  async run(log: MultiLogStore, region: (id: number) => RegionReplica | undefined): Promise<void> {
    if (this.#due.size === 0) return;
    const marks = new Map<number, CompactionMark>();
    const done: RegionReplica[] = [];
    for (const id of this.#due) {
      const r = region(id);
      if (r?.sm.flush === undefined) continue;
      if (!(await this.#flush(r))) return;
      const rn = r.rawNode;
      marks.set(id, { index: rn.appliedIndex, confState: rn.status().confState });
      done.push(r);
    }
    const retry = new Set(this.#due);
    this.#due.clear();
    try {
      await log.compact(marks);
    } catch (err) {
      if (!(err instanceof NoSpaceError)) throw err;
      for (const id of retry) this.#due.add(id); // nothing changed: try again later
      return this.#backOff(err, done);
    }
    for (const r of done) {
      r.appliedSinceCompaction = 0;
      r.appliedBytesSinceCompaction = 0;
      const index = r.log.snapshotMarker.index;
      for (const w of this.#waiters.get(r.id) ?? []) w.resolve(index);
      this.#waiters.delete(r.id);
    }
  }

  /** Flushes `r`'s state machine; false (all kept due, after a backoff) when the disk is full. */
  async #flush(r: RegionReplica): Promise<boolean> {
    try {
      await r.sm.flush?.();
      return true;
    } catch (err) {
      if (!(err instanceof NoSpaceError)) throw err;
      this.#backOff(err, [r]);
      return false;
    }
  }

  /** No space: the waiters of `regions` fail (as RaftNode's), the next attempt waits. */
  #backOff(err: NoSpaceError, regions: readonly RegionReplica[]): void {
    if (this.nowMs !== undefined) this.#retryAtMs = this.nowMs() + DISK_RETRY_MS_MAX;
    for (const r of regions) {
      for (const w of this.#waiters.get(r.id) ?? []) w.reject(err);
      this.#waiters.delete(r.id);
    }
  }
}
