/**
 * Waits, shared by many callers, for a condition some later event makes true — used where a
 * request arrives at a moment the node cannot serve it yet and nothing has been done for it, so
 * running it a moment later is safe:
 *
 * - a write reaching a replica that knows no leader of its region (command_path.ts): a split's
 *   child campaigning in its first moments, a re-election after a leader stepped down or died.
 *   A Redis client takes `-CLUSTERDOWN` as an error; etcd's server waits the same way (a
 *   proposal blocks until a leader is elected, up to the request's timeout), and so does this
 *   one, as placement requests already did for region 0 (placement/leader_wait.ts);
 * - a write whose keys a split applied here has not hosted yet (region_router.ts).
 *
 * One timer polls for every waiter of a wait, and only while some wait, so a burst of writes at
 * a leaderless moment costs one look per POLL_MS; at most LEADER_WAITERS_MAX callers wait (the
 * rest are refused at once). It polls, where placement's LeaderWait is woken by region 0's soft
 * state, because "known" here also needs the leader's address, and a hosted child has no event.
 */
import type { Clock, TimerId } from "../../platform/types.ts";

/**
 * Callers that may wait at once on one wait (a region's writes for its leader: each up to the
 * request timeout); past it a caller is refused at once (docs/limits.md).
 */
export const LEADER_WAITERS_MAX = 10_000;
/** How often the waiters look again. */
const POLL_MS = 5;

interface Waiter {
  readonly resolve: (held: boolean) => void;
  readonly deadline: number;
}

export class ConditionWait {
  #waiters: Waiter[] = [];
  #timer: TimerId | undefined;

  constructor(
    readonly clock: Clock,
    /** The condition (a leader is known; a split's child is hosted). */
    readonly holds: () => boolean,
    /** How long one caller waits for it. */
    readonly waitMs: number,
  ) {}

  /** Callers waiting now. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Resolves true as soon as the condition holds, false once `waitMs` passed without it, or at
   * once when LEADER_WAITERS_MAX callers wait already.
   */
  wait(): Promise<boolean> {
    if (this.holds()) return Promise.resolve(true);
    if (this.#waiters.length >= LEADER_WAITERS_MAX) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#waiters.push({ resolve, deadline: this.clock.nowMs() + this.waitMs });
      this.#timer ??= this.clock.setTimeout(() => this.#look(), POLL_MS);
    });
  }

  #look(): void {
    this.#timer = undefined;
    let held: boolean;
    try {
      held = this.holds();
    } catch {
      // The condition can no longer be judged (its region left this node): every waiter runs its
      // request again and meets why there. Thrown from this timer, it crashed the process (the
      // whole-node simulator, seed 29 with merges: "region 2 is not on the driver").
      held = true;
    }
    const now = this.clock.nowMs();
    const left: Waiter[] = [];
    for (const w of this.#waiters) {
      if (held) w.resolve(true);
      else if (now >= w.deadline) w.resolve(false);
      else left.push(w);
    }
    this.#waiters = left;
    if (left.length > 0) this.#timer = this.clock.setTimeout(() => this.#look(), POLL_MS);
  }
}
