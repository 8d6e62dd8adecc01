/**
 * Timestamps for the proposals of a node's regions (docs/decisions/0018-revisions-from-tso.md).
 * A leader of a region proposes a command only once it holds a timestamp from the placement
 * service's oracle for it; the entry carries it and apply derives the revision from it.
 *
 * One request to the oracle serves every proposal that asked meanwhile: the first one waits a
 * microtask (so the proposals of one turn go together), and while a request is in flight the
 * next ones queue for the request sent when it returns. At most one request is in flight, and
 * each answer's timestamps are handed out in the order they were asked for, synchronously: a
 * region's proposals enter its log in timestamp order, and every request a leader sends for a
 * proposal is sent after that proposal was asked for.
 *
 * When the oracle cannot answer (the placement leader unreachable, no quorum, a timeout), every
 * proposal of the batch fails with UNAVAILABLE, retryable: nothing was proposed. A timestamp is
 * never made up from a local clock.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { TSO_BATCH_MAX } from "../../limits_ops.ts";
import type { Clock } from "../../platform/types.ts";
import type { TimestampRange } from "../../txn/timestamp_service.ts";
import { errorMessage } from "../../util/errors.ts";
import { ServiceError } from "../kv_service.ts";

interface Taker {
  readonly use: (ts: number) => void;
  readonly fail: (err: ServiceError) => void;
}

/** Why proposals got no timestamp, as the retryable error their callers get. */
function unavailable(err: unknown): ServiceError {
  if (err instanceof ServiceError && err.code === ErrorCode.UNAVAILABLE) return err;
  return new ServiceError(
    ErrorCode.UNAVAILABLE,
    `no timestamp from the placement service (${errorMessage(err)}); the write was not ` +
      "proposed, retry",
  );
}

export class ProposalTimestamps {
  #queue: Taker[] = [];
  #sending = false;
  #highest = 0;
  /** Requests sent, timestamps received, requests that failed (metrics, tests). */
  readonly counts = { requests: 0, timestamps: 0, failures: 0 };

  constructor(
    /** `count` new timestamps from the oracle (the node's placement service). */
    readonly fetch: (count: number) => Promise<TimestampRange>,
    readonly clock: Clock,
    /** How long one request may take before its batch fails. */
    readonly timeoutMs: number,
    readonly batchMax = TSO_BATCH_MAX,
    /** Runs the proposals of one answer (the driver loop's `hold`: one round for them all). */
    readonly together: (propose: () => void) => void = (propose) => propose(),
  ) {}

  /**
   * The highest timestamp handed out here (0: none yet). Every timestamp at or below it that this
   * node will ever use has been handed out already: a request is sent only after the one before
   * it ended, so any later one gets timestamps above it, and the late answer of a request that
   * timed out is dropped unused. So a leader that has proposed what it was handed has proposed
   * every entry of its own whose timestamp is at or below this (close_without_entry.ts).
   */
  get highest(): number {
    return this.#highest;
  }

  /** Proposals waiting for a timestamp (not yet asked for, or in the request in flight). */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Calls `use(ts)` with a new timestamp — in the order `take` was called, synchronously in the
   * answer's turn — or `fail` with a retryable error when the oracle did not answer.
   */
  take(use: (ts: number) => void, fail: (err: ServiceError) => void): void {
    this.#queue.push({ use, fail });
    if (this.#sending) return;
    this.#sending = true;
    queueMicrotask(() => this.#send());
  }

  /** A new timestamp, for a read (`take` as a promise). */
  next(): Promise<number> {
    return new Promise((use, fail) => this.take(use, fail));
  }

  #send(): void {
    const batch = this.#queue.splice(0, this.batchMax);
    if (batch.length === 0) {
      this.#sending = false;
      return;
    }
    this.counts.requests++;
    let settled = false;
    const timer = this.clock.setTimeout(() => {
      finish(undefined, new Error(`no answer in ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    const finish = (range: TimestampRange | undefined, err?: unknown) => {
      if (settled) return; // the answer after a timeout: its timestamps go unused
      settled = true;
      this.clock.clearTimeout(timer);
      if (range !== undefined && range.count !== batch.length) {
        err = new Error(`asked for ${batch.length} timestamps, got ${range.count}`);
      }
      if (range === undefined || err !== undefined) {
        this.counts.failures++;
        const e = unavailable(err);
        for (const t of batch) t.fail(e);
      } else {
        this.counts.timestamps += range.count;
        this.#highest = Math.max(this.#highest, range.first + range.count - 1);
        this.together(() =>
          batch.forEach((t, i) => {
            try {
              t.use(range.first + i);
            } catch (err) {
              t.fail(unavailable(err));
            }
          })
        );
      }
      this.#send();
    };
    this.fetch(batch.length).then((range) => finish(range), (err) => finish(undefined, err));
  }

  /** Fails every proposal still waiting (the node is stopping). */
  failAll(message: string): void {
    const waiting = this.#queue;
    this.#queue = [];
    const err = new ServiceError(ErrorCode.UNAVAILABLE, message);
    for (const t of waiting) t.fail(err);
  }
}

/**
 * A node's proposal timestamps: from its placement service's oracle, each answer's proposals in
 * one round of its driver loop (`hold`).
 */
export function nodeTimestamps(
  raft: {
    readonly placement: { timestamps(count: number): Promise<TimestampRange> };
    readonly loop: { hold(fn: () => void): void };
  },
  clock: Clock,
  timeoutMs: number,
): ProposalTimestamps {
  const fetch = (n: number) => raft.placement.timestamps(n);
  return new ProposalTimestamps(fetch, clock, timeoutMs, undefined, (p) => raft.loop.hold(p));
}
