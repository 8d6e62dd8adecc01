/**
 * Reads that meet the locks of transactions across regions (docs/transactions.md#the-keyspace):
 * before a node serves a read of a span at revision T (a current read: every revision), each lock
 * in the span whose transaction started at or below T must be finished, because that
 * transaction may commit at a timestamp at or below T, into the history the read would show. A
 * lock whose primary committed is rolled forward at once, one whose TTL passed is rolled back;
 * a live one is waited out with bounded backoff (`DEFAULT_BACKOFF`). Past that, or past its
 * budget (the request timeout) spent on locks, the read fails with a retryable UNAVAILABLE.
 * After each resolution the read's barrier is taken again, so the local replica has applied it.
 *
 * The lock namespace is empty nearly always, and every linearizable read checks it: a scan of an
 * empty range still seeks every memtable and table (a node splitting regions served GETs at 24 µs
 * of CPU each against 14 on a one-region node: bench/RESULTS.md). So the engine keeps a write mark
 * on the namespace (src/storage/write_marks.ts): once a look found no lock, reads skip it until a
 * lock is written.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { DEFAULT_BACKOFF } from "../../txn/lock_resolver.ts";
import { decodeLock } from "../../txn/records.ts";
import { lockRange, parseLockKey } from "../../txn/txn_keys.ts";
import type { LockInfo } from "../../txn/txn_types.ts";
import { ServiceError } from "../kv_service.ts";
import type { EngineReader } from "../../kv/write_set.ts";
import type { Clock } from "../../platform/types.ts";
import type { WriteMark } from "../../storage/write_marks.ts";

/** The whole lock namespace (every user key's lock). */
const [LOCKS_START, LOCKS_END] = lockRange(new Uint8Array(0), new Uint8Array(0));

/** The engine as the read sees it; `markWrites` where it has write marks (the node's Db). */
export type LockEngine = EngineReader & {
  markWrites?(start: Uint8Array, end: Uint8Array): WriteMark;
};

export interface ReadLocksDeps {
  readonly db: () => LockEngine;
  /** Finishes the lock's transaction if it is decided or dead; false while it is alive. */
  readonly resolve: (lock: LockInfo) => Promise<boolean>;
  readonly clock: Clock;
  /** How long one read may spend on locks before it fails (retryable). */
  readonly budgetMs: number;
}

/** A span of user keys: [start, end), an empty end is unbounded. */
export interface ReadSpan {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
}

/** The span of one key. */
export function keySpan(key: Uint8Array): ReadSpan {
  return { start: key, end: Uint8Array.of(...key, 0) };
}

export class ReadLocks {
  /** Per engine (a snapshot swaps it): raised by any write of a lock record. */
  readonly #marks = new WeakMap<LockEngine, WriteMark>();

  constructor(readonly d: ReadLocksDeps) {}

  /** The first lock of `span` whose transaction started at or below `ts`. */
  first(span: ReadSpan, ts: number): LockInfo | undefined {
    const db = this.d.db();
    if (this.#noLocks(db)) return undefined;
    const [start, end] = lockRange(span.start, span.end);
    for (const [k, v] of db.scanSync({ start, end })) {
      const lock = { key: parseLockKey(k), ...decodeLock(v) };
      if (lock.startTs <= ts) return lock;
    }
    return undefined;
  }

  /** True when the engine holds no lock: known from its mark, or looked at and the mark lowered. */
  #noLocks(db: LockEngine): boolean {
    if (db.markWrites === undefined) return false;
    let mark = this.#marks.get(db);
    if (mark === undefined) {
      mark = db.markWrites(LOCKS_START, LOCKS_END);
      this.#marks.set(db, mark);
    }
    if (!mark.touched) return true;
    for (const _ of db.scanSync({ start: LOCKS_START, end: LOCKS_END, keysOnly: true })) {
      return false;
    }
    mark.touched = false; // nothing was written since the look: the scan ran synchronously
    return true;
  }

  /**
   * Returns once no lock of `span` at or below `ts` is left (0: a current read, every lock);
   * `again` retakes the read's barrier after a resolution.
   */
  async settle(span: ReadSpan, ts: number, again: () => Promise<void>): Promise<void> {
    const at = ts === 0 ? Number.MAX_SAFE_INTEGER : ts;
    const backoff = DEFAULT_BACKOFF;
    const deadline = this.d.clock.nowMs() + this.d.budgetMs;
    for (let attempt = 0;; attempt++) {
      const lock = this.first(span, at);
      if (lock === undefined) return;
      const left = deadline - this.d.clock.nowMs();
      if (attempt >= backoff.attempts || left <= 0) {
        throw new ServiceError(
          ErrorCode.UNAVAILABLE,
          `a key is locked by the transaction started at ${lock.startTs}; retry`,
        );
      }
      // A primary's region without a reachable leader must not hold the read past its budget.
      const finished = await this.#within(this.d.resolve(lock).catch(() => false), left);
      if (!finished) await this.#sleep(Math.min(backoff.maxMs, backoff.baseMs * 2 ** attempt));
      await again();
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((r) => this.d.clock.setTimeout(r, ms));
  }

  /** `p`'s answer, or false after `ms` (the timer cleared once `p` answers first). */
  #within(p: Promise<boolean>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.d.clock.setTimeout(() => resolve(false), ms);
      p.then((v) => (this.d.clock.clearTimeout(timer), resolve(v)));
    });
  }
}
