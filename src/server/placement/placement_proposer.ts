/**
 * Proposes placement commands into region 0 and waits for their outcomes
 * (docs/regions.md "Outcomes: what a proposer waits for"): a proposal is
 * stamped with this leader's wall clock, appended at some index and term, and
 * answered when the state machine applies that index — with the outcome when
 * the terms match, or UNAVAILABLE (retry) when another leader's entry took the
 * index. A proposal not applied within the timeout fails with TIMEOUT.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import {
  encodeCommand,
  type PlacementCommand,
  type PlacementCommandBody,
} from "../../placement/placement_commands.ts";
import type { AppliedOutcome, PlacementOutcome } from "../../placement/placement_state.ts";
import type { MultiRaftDriver } from "../../raft/multi/driver.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import { ServiceError } from "../kv_service.ts";

interface Waiter {
  readonly term: number;
  readonly resolve: (o: PlacementOutcome) => void;
  readonly reject: (e: unknown) => void;
  readonly timer: TimerId;
}

export class PlacementProposer {
  readonly #waiting = new Map<number, Waiter>();
  /** Commands proposed, and those answered by an outcome. */
  readonly counts = { proposed: 0, applied: 0, refused: 0 };

  constructor(
    readonly propose: (data: Uint8Array) => ReturnType<MultiRaftDriver["propose"]>,
    readonly clock: Clock,
    readonly timeoutMs: number,
  ) {}

  /** Proposes `body` (InvalidArgumentError for an invalid one) and resolves with its outcome. */
  submit(body: PlacementCommandBody): Promise<PlacementOutcome> {
    // A spread of a union loses which fields go with which kind: the cast restores it.
    const data = encodeCommand({ ...body, atMs: this.clock.wallMs() } as PlacementCommand);
    const r = this.propose(data);
    if (r === undefined || !r.ok || r.forwarded) {
      const why = r === undefined || r.ok ? "not the placement leader" : r.reason;
      return Promise.reject(new ServiceError(ErrorCode.NOT_LEADER, `placement: ${why}`));
    }
    this.counts.proposed++;
    const { index, term } = r;
    return new Promise<PlacementOutcome>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        if (this.#waiting.get(index)?.timer !== timer) return;
        this.#waiting.delete(index);
        reject(new ServiceError(ErrorCode.TIMEOUT, "placement command not applied in time"));
      }, this.timeoutMs);
      this.#waiting.get(index)?.reject(
        new ServiceError(ErrorCode.UNAVAILABLE, "placement proposal replaced"),
      );
      this.#waiting.set(index, { term, resolve, reject, timer });
    });
  }

  /** Each applied command's outcome (PlacementState's `onOutcome`). */
  onOutcome(o: AppliedOutcome): void {
    const w = this.#waiting.get(o.index);
    if (w === undefined) return;
    this.#waiting.delete(o.index);
    this.clock.clearTimeout(w.timer);
    if (o.term !== w.term) {
      w.reject(new ServiceError(ErrorCode.UNAVAILABLE, "placement leader changed; retry"));
      return;
    }
    if (o.outcome.kind === "refused") this.counts.refused++;
    else this.counts.applied++;
    w.resolve(o.outcome);
  }

  /** Fails every proposal waiting (the node closes). */
  failAll(reason: string): void {
    for (const w of this.#waiting.values()) {
      this.clock.clearTimeout(w.timer);
      w.reject(new ServiceError(ErrorCode.UNAVAILABLE, reason));
    }
    this.#waiting.clear();
  }
}
