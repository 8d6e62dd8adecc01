/**
 * Writes waiting for their log entry to be applied. A proposal is known by
 * the (index, term) the leader gave its entry; when the entry applied at that
 * index has another term, the proposal was overwritten by a new leader and
 * can never commit (Log Matching, Raft §5.3): it definitely did not happen.
 */
import { create } from "@bufbuild/protobuf";
import { ErrorCode, RegionTxnResponseSchema } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { decodeOutcome } from "../../kv/outcome_codec.ts";
import { decodeRegionOutcome, type RegionOutcome } from "../../kv/region_command.ts";
import { PROPOSALS_PENDING_MAX } from "../../limits.ts";
import type { EntryPosition } from "../../raft/api.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import { assert } from "../../util/assert.ts";
import { DeadlineTimer } from "../../util/deadline_timer.ts";
import { type CommandOutcome, ServiceError } from "../kv_service.ts";

function notApplied(): ServiceError {
  return new ServiceError(ErrorCode.UNAVAILABLE, "leader changed; the write was not applied");
}

interface Waiter {
  readonly term: number;
  readonly resolve: (r: CommandOutcome) => void;
  readonly reject: (e: ServiceError) => void;
  /** Clock ms after which the write times out. */
  readonly deadline: number;
}

export class Proposals {
  readonly #waiting = new Map<number, Waiter>();
  readonly #timer: DeadlineTimer<TimerId>;
  /**
   * For metrics: entries that committed with the proposer's term, entries a new
   * leader overwrote (never applied), and waits that timed out.
   */
  readonly counts = { committed: 0, overwritten: 0, timedOut: 0 };

  constructor(readonly clock: Clock, readonly max = PROPOSALS_PENDING_MAX) {
    this.#timer = new DeadlineTimer(clock, (now) => this.#expire(now));
  }

  get size(): number {
    return this.#waiting.size;
  }

  /** True when no more proposals may wait (PROPOSALS_PENDING_MAX). */
  get full(): boolean {
    return this.#waiting.size >= this.max;
  }

  /**
   * Waits for the entry the leader appended at `at` (what `propose` returned),
   * up to `timeoutMs`. A write still waiting at the same index with an older
   * term was overwritten: this leader's log, which holds every committed
   * entry, has another entry there, so that write can never apply.
   */
  wait(at: EntryPosition, timeoutMs: number): Promise<CommandOutcome> {
    const stale = this.#waiting.get(at.index);
    if (stale !== undefined) {
      assert(stale.term < at.term, `two proposals at index ${at.index} in term ${at.term}`);
      this.#waiting.delete(at.index);
      this.counts.overwritten++;
      stale.reject(notApplied());
    }
    return new Promise((resolve, reject) => {
      const deadline = this.clock.nowMs() + timeoutMs;
      this.#waiting.set(at.index, { term: at.term, resolve, reject, deadline });
      this.#timer.add(deadline);
    });
  }

  /** Times out the writes past their deadline; returns the next deadline. */
  #expire(now: number): number {
    let next = Infinity;
    for (const [index, w] of this.#waiting) {
      if (w.deadline > now) {
        next = Math.min(next, w.deadline);
        continue;
      }
      this.#waiting.delete(index);
      this.counts.timedOut++;
      w.reject(new ServiceError(ErrorCode.TIMEOUT, `write at index ${index} not applied in time`));
    }
    return next;
  }

  /** An entry was applied; `outcome` is the encoded ClientResponse for command entries. */
  applied(index: number, term: number, outcome: Uint8Array | undefined): void {
    const w = this.#waiting.get(index);
    if (w === undefined) return;
    this.#waiting.delete(index);
    if (this.#waiting.size === 0) this.#timer.clear();
    if (w.term === term) this.counts.committed++;
    else this.counts.overwritten++;
    if (w.term !== term || outcome === undefined) {
      w.reject(notApplied());
      return;
    }
    const region = decodeRegionOutcome(outcome);
    // A `Txn` command's answer (region_txn_service.ts): conflicts are answers, not errors.
    if (region?.kind === "txn") {
      w.resolve({
        case: "regionTxn",
        value: create(RegionTxnResponseSchema, { reply: region.reply }),
      });
      return;
    }
    if (region !== undefined) {
      w.reject(new RegionChangedError(region));
      return;
    }
    const r = decodeOutcome(outcome);
    if (r.error !== undefined) w.reject(serviceErrorOf(r.error));
    else w.resolve(r.body);
  }

  /** Fails every waiter (the node is stopping); their outcome is unknown. */
  failAll(message: string): void {
    this.#timer.clear();
    for (const [index, w] of this.#waiting) {
      w.reject(new ServiceError(ErrorCode.TIMEOUT, `${message} (write at index ${index})`));
    }
    this.#waiting.clear();
  }
}

/**
 * A write proposed to a region whose range or epoch changed before it applied (a split): apply
 * refused it, nothing happened. The node routes it again (region_router.ts).
 */
export class RegionChangedError extends ServiceError {
  constructor(readonly outcome: RegionOutcome) {
    super(ErrorCode.UNAVAILABLE, `the region changed before the write applied (${outcome.kind})`);
  }
}

/** An applied command's error outcome as the ServiceError its caller gets. */
export function serviceErrorOf(e: { code: ErrorCode; message: string; compactedRevision: bigint }) {
  return new ServiceError(e.code, e.message, 0, "", Number(e.compactedRevision));
}
