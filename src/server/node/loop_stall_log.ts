/**
 * Logs the node's stalls (docs/logging.md): the Raft timer finding its ticks late (the event loop
 * was held by other work, or the process was paused) and a Raft round that ran long (a slow
 * fsync, a long apply). Either keeps this node's heartbeats from leaving, so a follower that waits
 * an election timeout for them campaigns — the log line says which it was, as etcd's "leader
 * failed to send out heartbeat on time" does. Logged from half an election timeout (lower bound);
 * the logger's per-event bound keeps a long run of stalls to a few lines.
 */
import type { LoopWatch } from "../../raft/multi/driver_loop.ts";
import type { Logger } from "../log/logger.ts";

export class LoopStallLog implements LoopWatch {
  /** Stalls logged, by kind (tinykv_raft_stalls_total). */
  readonly counts = { late: 0, round: 0 };

  constructor(readonly logger: Logger, readonly thresholdMs: number) {}

  late(ms: number): void {
    this.#note("late", ms);
  }

  round(ms: number): void {
    this.#note("round", ms);
  }

  #note(kind: "late" | "round", ms: number): void {
    if (ms < this.thresholdMs) return;
    this.counts[kind]++;
    const what = kind === "late" ? "raft.timer_late" : "raft.round_slow";
    this.logger.warn(what, { ms: Math.round(ms) });
  }
}
