/**
 * Confirms that this node still leads region 0 before it answers with timestamps: a ReadIndex of
 * the group (a heartbeat round acknowledged by a quorum, or the leader's lease with
 * `--read-mode lease`). Timestamps are drawn first and confirmed after, so a leader that was
 * deposed — a new leader elected by a quorum that no longer acknowledges it — cannot hand out
 * timestamps a client could see after larger ones from the new leader (the new leader starts at
 * the bound persisted before its term, above everything the old one drew).
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import type { MultiRaftDriver } from "../../raft/multi/driver.ts";
import { ByteWriter } from "../../util/coding.ts";
import { ServiceError } from "../kv_service.ts";
import { PLACEMENT_REGION } from "./placement_options.ts";

/** A varint id's context is at most this long (longer ones are read barriers' rounds). */
const CONTEXT_BYTES_MAX = 8;

interface Waiting {
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
  readonly timer: TimerId;
}

export class LeadershipCheck {
  #next = 1;
  readonly #waiting = new Map<number, Waiting>();

  constructor(
    readonly driver: MultiRaftDriver,
    readonly clock: Clock,
    readonly timeoutMs: number,
  ) {}

  /** Resolves once a quorum confirmed this node's leadership of region 0 after the call. */
  confirm(): Promise<void> {
    const id = this.#next++;
    const context = new ByteWriter(8).varint(id).finish();
    const r = this.driver.regionNode(PLACEMENT_REGION)?.readIndex(context);
    if (r === undefined || !r.ok) {
      return Promise.reject(new ServiceError(ErrorCode.NOT_LEADER, "not the placement leader"));
    }
    this.driver.loop?.kick();
    return new Promise<void>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.#waiting.delete(id);
        reject(new ServiceError(ErrorCode.UNAVAILABLE, "placement leadership not confirmed"));
      }, this.timeoutMs);
      this.#waiting.set(id, { resolve, reject, timer });
    });
  }

  /** Region 0's read states (its state machine's `onReadStates`). */
  confirmed(states: readonly { readonly context: Uint8Array }[]): void {
    for (const s of states) {
      if (s.context.length > CONTEXT_BYTES_MAX) continue; // a rejoin's catch-up round
      let id = 0;
      for (let i = s.context.length - 1; i >= 0; i--) id = id * 128 + (s.context[i] & 0x7f);
      const w = this.#waiting.get(id);
      if (w === undefined) continue;
      this.#waiting.delete(id);
      this.clock.clearTimeout(w.timer);
      w.resolve();
    }
  }

  /** Leadership changed: no confirmation in flight will come. */
  failAll(): void {
    for (const w of this.#waiting.values()) {
      this.clock.clearTimeout(w.timer);
      w.reject(new ServiceError(ErrorCode.UNAVAILABLE, "placement leadership changed; retry"));
    }
    this.#waiting.clear();
  }
}
