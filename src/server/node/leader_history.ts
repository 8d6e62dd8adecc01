/**
 * The last leader changes this node saw (LEADER_HISTORY_MAX of them), for the
 * dashboard and /cluster. Fed from the Raft driver's soft-state hook. Times
 * are on the node's monotonic clock: readers get `nowMs` alongside and show
 * ages, so no wall clock is needed on the server.
 */
import { LEADER_HISTORY_MAX } from "../../limits.ts";
import type { Clock } from "../../platform/types.ts";

export interface LeaderChange {
  /** Monotonic clock time (ms) when this node learned of the change. */
  readonly atMs: number;
  readonly term: number;
  /** The new leader's id; null while no leader is known. */
  readonly leader: number | null;
}

export class LeaderHistory {
  readonly #changes: LeaderChange[] = [];
  /** Changes to a known leader seen since the process started, forgotten ones included. */
  leadersSeen = 0;

  constructor(readonly clock: Clock, readonly max = LEADER_HISTORY_MAX) {}

  /**
   * Records the leader this node now knows (0: none). Repeats of the last
   * (leader, term) are ignored; losing a leader is recorded once, as null.
   */
  observe(leader: number, term: number): void {
    const last = this.#changes[this.#changes.length - 1];
    const lead = leader === 0 ? null : leader;
    if (last !== undefined && last.leader === lead && (lead === null || last.term === term)) return;
    if (last === undefined && lead === null) return;
    this.#changes.push({ atMs: this.clock.nowMs(), term, leader: lead });
    if (this.#changes.length > this.max) this.#changes.shift();
    if (lead !== null) this.leadersSeen++;
  }

  /** Oldest first. */
  changes(): readonly LeaderChange[] {
    return [...this.#changes];
  }
}
