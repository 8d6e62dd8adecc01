/**
 * Linearizable reads via ReadIndex (Raft thesis §6.4). Reads that arrive
 * while a ReadIndex round is in flight share the next round, so a burst of
 * reads costs one heartbeat round, not one each. A read is served once the
 * local state machine has applied the round's index.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import { ServiceError } from "../kv_service.ts";

interface Round {
  readonly waiters: (() => void)[];
  readonly rejecters: ((e: ServiceError) => void)[];
  /** Set when the ReadState arrives; the round completes once applied reaches it. */
  index: number;
  timer: TimerId | undefined;
}

export interface ReadIndexIssuer {
  /** Starts a ReadIndex round; returns why it was refused, or undefined. */
  issue(context: Uint8Array): string | undefined;
  appliedIndex(): number;
}

/** A round's ReadIndex context: the node's id and the round's number, 8 bytes each. */
const CONTEXT_BYTES = 16;

export class ReadBarrier {
  readonly #rounds = new Map<number, Round>();
  #next: Round | undefined;
  #nextId = 1;

  constructor(
    readonly issuer: ReadIndexIssuer,
    readonly clock: Clock,
    readonly timeoutMs: number,
    /**
     * This node's id, the first half of every round's context. The leader keys pending
     * ReadIndex requests by context and refuses one already pending, dropping a follower's:
     * with round numbers alone, a follower's round 1 and the leader's own round 1 collided,
     * and the follower's reads waited out their timeout.
     */
    readonly nodeId = 0,
  ) {}

  /** Resolves when a read started now may be served from local state. */
  wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#next === undefined) {
        this.#next = { waiters: [], rejecters: [], index: -1, timer: undefined };
        queueMicrotask(() => this.#startRound());
      }
      this.#next.waiters.push(resolve);
      this.#next.rejecters.push(reject);
    });
  }

  #startRound(): void {
    const round = this.#next;
    this.#next = undefined;
    if (round === undefined) return;
    const id = this.#nextId++;
    const context = new Uint8Array(CONTEXT_BYTES);
    const view = new DataView(context.buffer);
    view.setFloat64(0, this.nodeId);
    view.setFloat64(8, id);
    const refused = this.issuer.issue(context);
    if (refused !== undefined) {
      const err = new ServiceError(ErrorCode.UNAVAILABLE, `read not served: ${refused}`);
      for (const reject of round.rejecters) reject(err);
      return;
    }
    round.timer = this.clock.setTimeout(() => {
      this.#rounds.delete(id);
      const err = new ServiceError(ErrorCode.UNAVAILABLE, "read index not confirmed in time");
      for (const reject of round.rejecters) reject(err);
    }, this.timeoutMs);
    this.#rounds.set(id, round);
  }

  /** A ReadState arrived from the core. */
  confirmed(context: Uint8Array, index: number): void {
    if (context.length !== CONTEXT_BYTES) return;
    const view = new DataView(context.buffer, context.byteOffset, CONTEXT_BYTES);
    if (view.getFloat64(0) !== this.nodeId) return; // another node's round
    const id = view.getFloat64(8);
    const round = this.#rounds.get(id);
    if (round !== undefined) {
      round.index = index;
      this.applied();
    }
  }

  /** The state machine applied more entries: release rounds that are now readable. */
  applied(): void {
    const applied = this.issuer.appliedIndex();
    for (const [id, round] of this.#rounds) {
      if (round.index < 0 || round.index > applied) continue;
      this.#rounds.delete(id);
      if (round.timer !== undefined) this.clock.clearTimeout(round.timer);
      for (const resolve of round.waiters) resolve();
    }
  }

  /**
   * Fails every round waiting for confirmation (leadership changed: the core
   * drops reads it has not confirmed). The reads were not served: retrying is safe.
   */
  abortUnconfirmed(reason: string): void {
    for (const [id, round] of this.#rounds) {
      if (round.index >= 0) continue; // confirmed: only waits for the local apply
      this.#rounds.delete(id);
      if (round.timer !== undefined) this.clock.clearTimeout(round.timer);
      const err = new ServiceError(ErrorCode.UNAVAILABLE, `read not served: ${reason}`);
      for (const reject of round.rejecters) reject(err);
    }
  }

  get pendingRounds(): number {
    return this.#rounds.size;
  }
}
