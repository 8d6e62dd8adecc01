/**
 * Linearizable reads via ReadIndex (Raft thesis §6.4). One round is in flight at a time: reads
 * that arrive meanwhile, from every connection, wait together for the next round, which starts
 * when the one in flight is confirmed (or given up on). So a steady load costs one heartbeat
 * round per network round trip, not one per read, and each round's index is still taken after
 * every read in it arrived. A read is served once the local state machine has applied the
 * round's index. A sole voter that leads needs no round: its commit index is the read index.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import { ServiceError } from "../kv_service.ts";
import { READ_ROUND_RETRY_MS } from "../../limits_ops.ts";
import { errorMessage } from "../../util/errors.ts";

interface Round {
  readonly waiters: (() => void)[];
  readonly rejecters: ((e: ServiceError) => void)[];
  /** Set when the ReadState arrives; the round completes once applied reaches it. */
  index: number;
  timer: TimerId | undefined;
  /** Its reads were in a round a leader change dropped already: the next drop fails them. */
  retried?: boolean;
}

/**
 * How long reads whose round a leader change dropped wait for a leader to be known before they
 * fail (retryable) as before: a transfer's new leader is known within a round trip, an election's
 * within an election timeout.
 */
export const READ_PARKED_MS_MAX = 1000;

export interface ReadIndexIssuer {
  /** Starts a ReadIndex round; returns why it was refused, or undefined. */
  issue(context: Uint8Array): string | undefined;
  appliedIndex(): number;
  /**
   * The read index this node vouches for alone, without a round, or undefined: a leader that
   * is the only voter answers ReadIndex with its commit index at once (no quorum to ask).
   */
  localReadIndex?(): number | undefined;
}

const NO_LEADER = "no-leader"; // the core's refusal of a ReadIndex during an election

/** A round's ReadIndex context: the node's id and the round's number, 8 bytes each. */
const CONTEXT_BYTES = 16;

export class ReadBarrier {
  readonly #rounds = new Map<number, Round>();
  /** Reads that arrived after the round in flight was issued: they share the next round. */
  #next: Round | undefined;
  /** The round issued and not yet confirmed; while set, the next round waits. */
  #inFlight: Round | undefined;
  /** The latest round of a sole voter's reads (its index known at once, waiting for apply). */
  #local: (Round & { readonly id: number }) | undefined;
  /** Reads whose round a leader change dropped, waiting for a leader to be known (once each). */
  #parked: Round | undefined;
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

  /**
   * True when a read started now may be served at once, synchronously: a sole voter leads and
   * has applied its commit index. Otherwise the read waits for `wait()`.
   */
  readyNow(): boolean {
    const local = this.issuer.localReadIndex?.();
    return local !== undefined && this.issuer.appliedIndex() >= local;
  }

  /** Resolves when a read started now may be served from local state. */
  wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      const local = this.issuer.localReadIndex?.();
      if (local !== undefined) return this.#waitForApply(local, resolve, reject);
      if (this.#next === undefined) {
        this.#next = { waiters: [], rejecters: [], index: -1, timer: undefined };
        if (this.#inFlight === undefined) queueMicrotask(() => this.#startRound());
      }
      this.#next.waiters.push(resolve);
      this.#next.rejecters.push(reject);
    });
  }

  /**
   * Resolves true once a barrier passes, false if `closed()` first. A round lost on the way (sent
   * to a leader that just stepped down, dropped) is not waited out for the request timeout: a new
   * one is asked every `everyMs` while the earlier ones still wait, and the first to pass wins.
   * For a replica that may not vote until it has passed one (a rebuilt or created replica), the
   * time it spends unable to vote is a time its region tolerates one failure fewer.
   */
  passOnce(everyMs: number, closed: () => boolean): Promise<boolean> {
    return new Promise((resolve) => {
      let done = false;
      const attempt = () => {
        if (done) return;
        if (closed()) {
          done = true;
          return resolve(false);
        }
        this.wait().then(() => {
          if (done) return;
          done = true;
          resolve(true);
        }, () => {});
        this.clock.setTimeout(attempt, everyMs);
      };
      attempt();
    });
  }

  /** Resolves once this replica has applied `index` (or fails as a read does, in time). */
  appliedThrough(index: number): Promise<void> {
    return new Promise((resolve, reject) => this.#waitForApply(index, resolve, reject));
  }

  /** A read whose index is known now: served once applied reaches it (reads of one index share). */
  #waitForApply(index: number, resolve: () => void, reject: (e: ServiceError) => void): void {
    if (this.issuer.appliedIndex() >= index) return resolve();
    let round = this.#local;
    if (round === undefined || round.index !== index || !this.#rounds.has(round.id)) {
      round = { waiters: [], rejecters: [], index, timer: undefined, id: this.#nextId++ };
      this.#local = round;
      this.#arm(round.id, round, this.timeoutMs);
    }
    round.waiters.push(resolve);
    round.rejecters.push(reject);
  }

  /** The round in flight was confirmed or given up on: the reads queued behind it go next. */
  #landed(round: Round): void {
    if (this.#inFlight !== round) return;
    this.#inFlight = undefined;
    if (this.#next !== undefined) queueMicrotask(() => this.#startRound());
  }

  #startRound(): void {
    if (this.#inFlight !== undefined) return;
    const round = this.#next;
    this.#next = undefined;
    if (round === undefined) return;
    const id = this.#nextId++;
    const context = new Uint8Array(CONTEXT_BYTES);
    const view = new DataView(context.buffer);
    view.setFloat64(0, this.nodeId);
    view.setFloat64(8, id);
    let refused: string | undefined;
    try {
      refused = this.issuer.issue(context);
    } catch (err) {
      // The region left this node while the round waited its turn (its group is gone): a
      // refusal for these reads, never an exception thrown from a microtask or a timer.
      refused = errorMessage(err);
    }
    if (refused === NO_LEADER && round.retried !== true) return this.#park(round, refused);
    if (refused !== undefined) {
      const err = new ServiceError(ErrorCode.UNAVAILABLE, `read not served: ${refused}`);
      for (const reject of round.rejecters) reject(err);
      return;
    }
    this.#inFlight = round;
    this.#arm(id, round, Math.min(READ_ROUND_RETRY_MS, this.timeoutMs));
  }

  /**
   * Times the round out after `timeoutMs` (unconfirmed, or confirmed and not applied); at
   * `firstMs`, a round still unconfirmed stops holding back the next one.
   */
  #arm(id: number, round: Round, firstMs: number): void {
    const started = this.clock.nowMs();
    const expire = () => {
      if (!this.#rounds.has(id)) return;
      this.#landed(round); // slow: the next round may go; this one's reads keep waiting
      const left = this.timeoutMs - (this.clock.nowMs() - started);
      if (left > 0) {
        round.timer = this.clock.setTimeout(expire, left);
        return;
      }
      this.#rounds.delete(id);
      const err = new ServiceError(ErrorCode.UNAVAILABLE, "read index not confirmed in time");
      for (const reject of round.rejecters) reject(err);
    };
    round.timer = this.clock.setTimeout(expire, firstMs);
    this.#rounds.set(id, round);
  }

  /** A ReadState arrived from the core. */
  confirmed(context: Uint8Array, index: number): void {
    if (context.length !== CONTEXT_BYTES) return;
    const view = new DataView(context.buffer, context.byteOffset, CONTEXT_BYTES);
    if (view.getFloat64(0) !== this.nodeId) return; // another node's round
    const id = view.getFloat64(8);
    const round = this.#rounds.get(id);
    if (round !== undefined && round.index < 0) {
      round.index = index;
      this.#landed(round);
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
   * Fails every round waiting for confirmation (the region left, say), and the reads parked by a
   * leader change. The reads were not served: retrying is safe.
   */
  abortUnconfirmed(reason: string): void {
    const err = new ServiceError(ErrorCode.UNAVAILABLE, `read not served: ${reason}`);
    for (const round of this.#dropUnconfirmed()) for (const reject of round.rejecters) reject(err);
    this.#failParked(err);
  }

  /**
   * Leadership changed (a Ready's soft state): the core dropped the reads it had not confirmed.
   * They were not served, so they go again in a new round, once, as soon as a leader is known
   * (`leaderKnown`, now or at a later change), within READ_PARKED_MS_MAX; reads already tried
   * again fail (retryable) as before. So do reads whose round found no leader (an election under
   * way). Placement's leader balance moves leaderships while clients read, and a Redis client
   * does not retry `-TRYAGAIN` (redis-benchmark stopped on it).
   */
  leadershipChanged(leaderKnown: boolean): void {
    const err = new ServiceError(ErrorCode.UNAVAILABLE, "read not served: leadership changed");
    for (const round of this.#dropUnconfirmed()) {
      if (round.retried !== true) this.#park(round, "leadership changed");
      else for (const reject of round.rejecters) reject(err);
    }
    const parked = this.#parked;
    if (!leaderKnown || parked === undefined) return;
    this.#parked = undefined;
    if (parked.timer !== undefined) this.clock.clearTimeout(parked.timer);
    // Reads that arrived meanwhile share the round and spend their one retry with it.
    const next = this.#next ?? { waiters: [], rejecters: [], index: -1, timer: undefined };
    next.waiters.push(...parked.waiters);
    next.rejecters.push(...parked.rejecters);
    next.retried = true;
    if (this.#next === undefined && this.#inFlight === undefined) {
      queueMicrotask(() => this.#startRound());
    }
    this.#next = next;
  }

  /** Takes the rounds not confirmed yet out (timers cleared, the next round free to go). */
  #dropUnconfirmed(): Round[] {
    const dropped: Round[] = [];
    for (const [id, round] of this.#rounds) {
      if (round.index >= 0) continue; // confirmed: only waits for the local apply
      this.#rounds.delete(id);
      if (round.timer !== undefined) this.clock.clearTimeout(round.timer);
      this.#landed(round);
      dropped.push(round);
    }
    return dropped;
  }

  /** Holds `round`'s reads until a leader is known or READ_PARKED_MS_MAX passed. */
  #park(round: Round, why: string): void {
    if (this.#parked === undefined) {
      const parked: Round = { waiters: [], rejecters: [], index: -1, timer: undefined };
      const err = new ServiceError(ErrorCode.UNAVAILABLE, `read not served: ${why}`);
      parked.timer = this.clock.setTimeout(() => {
        if (this.#parked === parked) this.#failParked(err);
      }, Math.min(READ_PARKED_MS_MAX, this.timeoutMs));
      this.#parked = parked;
    }
    this.#parked.waiters.push(...round.waiters);
    this.#parked.rejecters.push(...round.rejecters);
  }

  #failParked(err: ServiceError): void {
    const parked = this.#parked;
    this.#parked = undefined;
    if (parked === undefined) return;
    if (parked.timer !== undefined) this.clock.clearTimeout(parked.timer);
    for (const reject of parked.rejecters) reject(err);
  }

  get pendingRounds(): number {
    return this.#rounds.size;
  }
}
