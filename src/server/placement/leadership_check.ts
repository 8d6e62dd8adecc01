/**
 * Confirms that this node still leads region 0 before it answers with timestamps: a ReadIndex of
 * the group (a heartbeat round acknowledged by a quorum, or the leader's lease with
 * `--read-mode lease`). Timestamps are drawn first and confirmed after, so a leader that was
 * deposed — a new leader elected by a quorum that no longer acknowledges it — cannot hand out
 * timestamps a client could see after larger ones from the new leader (the new leader starts at
 * the bound persisted before its term, above everything the old one drew).
 *
 * One round serves many batches: at most one round is in flight, and every confirmation asked
 * for while it is in flight waits for the next round, started when it ends (as a group commit
 * shares a sync). Not the round in flight: its heartbeats left before those batches were drawn,
 * and a new leader may have been elected — and handed out larger timestamps — between its
 * heartbeats and the draw. The next round's heartbeats leave after every draw it serves, so a
 * quorum acknowledging them proves no newer leader existed when each batch was drawn: a newer
 * leader, if one exists, was elected later, and starts above the bound this one persisted. With
 * N nodes asking (one request in flight each) the oracle's node runs about one round per round
 * trip instead of N.
 *
 * A leader that is region 0's only voter (a one-node cluster) is confirmed at once: no other node
 * can be elected without a configuration change it commits itself. Its ReadIndex would answer
 * from the commit index without a message, but only in the driver's next round, which cost every
 * write on one node a round of its own before it could be proposed (bench/RESULTS.md).
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import type { MultiRaftDriver } from "../../raft/multi/driver.ts";
import { ByteWriter } from "../../util/coding.ts";
import { ServiceError } from "../kv_service.ts";
import { PLACEMENT_REGION } from "./placement_options.ts";

/** A varint id's context is at most this long (longer ones are read barriers' rounds). */
const CONTEXT_BYTES_MAX = 8;

/** Starts a ReadIndex of region 0 carrying `context`; false when this node does not lead it. */
export type ReadIndexStart = (context: Uint8Array) => boolean;

/** The check of region 0's leadership on the node's driver. */
export function region0Check(d: MultiRaftDriver, clock: Clock, timeoutMs: number): LeadershipCheck {
  const alone = () => d.regionNode(PLACEMENT_REGION)?.rawNode.leadsAlone === true;
  return new LeadershipCheck(region0Reads(d), clock, timeoutMs, alone);
}

/** Region 0's ReadIndex on the node's driver, the round run at once. */
export function region0Reads(driver: MultiRaftDriver): ReadIndexStart {
  return (context) => {
    const r = driver.regionNode(PLACEMENT_REGION)?.readIndex(context);
    if (r === undefined || !r.ok) return false;
    driver.loop?.kick();
    return true;
  };
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

interface Round {
  readonly id: number;
  readonly waiters: readonly Waiter[];
  readonly timer: TimerId;
}

export class LeadershipCheck {
  #next = 1;
  #round: Round | undefined;
  /** Confirmations asked for while a round is in flight: the next round's. */
  #queued: Waiter[] = [];
  /** Confirmations asked for, and the rounds run for them (metrics, tests). */
  readonly counts = { confirms: 0, rounds: 0 };

  constructor(
    readonly readIndex: ReadIndexStart,
    readonly clock: Clock,
    readonly timeoutMs: number,
    readonly leadsAlone: () => boolean = () => false,
  ) {}

  /** Resolves once a quorum confirmed this node's leadership of region 0 after the call. */
  confirm(): Promise<void> {
    this.counts.confirms++;
    if (this.leadsAlone()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#queued.push({ resolve, reject });
      if (this.#round === undefined) this.#start();
    });
  }

  /** Starts a round for every confirmation queued, unless one is in flight. */
  #start(): void {
    if (this.#round !== undefined || this.#queued.length === 0) return;
    const waiters = this.#queued;
    this.#queued = [];
    const id = this.#next++;
    if (!this.readIndex(new ByteWriter(8).varint(id).finish())) {
      const e = new ServiceError(ErrorCode.NOT_LEADER, "not the placement leader");
      for (const w of waiters) w.reject(e);
      return;
    }
    this.counts.rounds++;
    const timer = this.clock.setTimeout(() => {
      if (this.#round?.id !== id) return;
      this.#round = undefined;
      const e = new ServiceError(ErrorCode.UNAVAILABLE, "placement leadership not confirmed");
      for (const w of waiters) w.reject(e);
      this.#start();
    }, this.timeoutMs);
    this.#round = { id, waiters, timer };
  }

  /** Region 0's read states (its state machine's `onReadStates`). */
  confirmed(states: readonly { readonly context: Uint8Array }[]): void {
    for (const s of states) {
      if (s.context.length > CONTEXT_BYTES_MAX) continue; // a rejoin's catch-up round
      let id = 0;
      for (let i = s.context.length - 1; i >= 0; i--) id = id * 128 + (s.context[i] & 0x7f);
      const round = this.#round;
      if (round === undefined || round.id !== id) continue; // an older round, timed out
      this.#round = undefined;
      this.clock.clearTimeout(round.timer);
      for (const w of round.waiters) w.resolve();
      // The next round once this pass over read states is done, not from inside it.
      queueMicrotask(() => this.#start());
    }
  }

  /** Leadership changed: no confirmation in flight or queued will come. */
  failAll(): void {
    const e = new ServiceError(ErrorCode.UNAVAILABLE, "placement leadership changed; retry");
    const round = this.#round;
    this.#round = undefined;
    if (round !== undefined) this.clock.clearTimeout(round.timer);
    const waiting = [...(round?.waiters ?? []), ...this.#queued];
    this.#queued = [];
    for (const w of waiting) w.reject(e);
  }
}
