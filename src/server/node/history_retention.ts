/**
 * Automatic compaction of the key history (docs/coordination.md#compaction):
 * the leader keeps the last `revisions` revisions and/or the revisions of the
 * last `ageMs` milliseconds, and proposes `compact` when the history has grown
 * a tenth past that (so each compaction, whose cost follows what was written
 * since the previous one, does a worthwhile amount of work). Followers only
 * sample, so a new leader knows the recent revisions by age at once.
 */
import type { Logger } from "../log/logger.ts";
import type { CommandInit } from "../../kv/command_codec.ts";
import type { Clock, TimerId } from "../../platform/types.ts";

export interface RetentionOptions {
  /** Keep this many revisions (Raft indexes) of history; 0: no count rule. */
  readonly revisions: number;
  /** Keep the history of this many milliseconds; 0: no age rule. */
  readonly ageMs: number;
  /** How often to sample the revision and decide. */
  readonly checkMs: number;
}

export interface RetentionDeps {
  readonly clock: Clock;
  readonly isLeader: () => boolean;
  readonly revision: () => number;
  /**
   * The region's applied log index when its revisions are timestamps (a node holding many
   * regions, decision 0018): the count rule then keeps the revisions of the last `revisions`
   * log entries (from the samples), not the last `revisions` numbers, which would be a few ms.
   */
  readonly index?: () => number | undefined;
  readonly compacted: () => number;
  /**
   * A revision to compact to whatever the rules say (capped at the region's revision): on a
   * node holding many regions, the compaction a client asked for, which region 1 applied and
   * every other region's leader follows (decision 0018). 0: none.
   */
  readonly floor?: () => number;
  readonly execute: (command: CommandInit) => Promise<unknown>;
  readonly logger?: Logger;
}

/** Samples kept for the age rule: one per check, so this bounds ageMs / checkMs. */
const SAMPLES_MAX = 10_000;

export class HistoryRetention {
  readonly #samples: { atMs: number; revision: number; index: number }[] = [];
  #timer: TimerId | undefined;
  #inFlight = false;
  /** Compactions this node proposed (for metrics). */
  proposed = 0;

  constructor(readonly d: RetentionDeps, readonly o: RetentionOptions) {}

  start(): void {
    if (this.o.revisions === 0 && this.o.ageMs === 0) return;
    const tick = () => {
      this.check();
      this.#timer = this.d.clock.setTimeout(tick, this.o.checkMs);
    };
    this.#timer = this.d.clock.setTimeout(tick, this.o.checkMs);
  }

  stop(): void {
    if (this.#timer !== undefined) this.d.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * The revision the rules would compact to now (0: nothing). With both rules,
   * the history kept satisfies both: at least `revisions` revisions and at
   * least the last `ageMs` of them.
   */
  target(now: number): number {
    const targets: number[] = [];
    const index = this.d.index?.();
    if (this.o.revisions > 0 && index === undefined) {
      targets.push(this.d.revision() - this.o.revisions);
    } else if (this.o.revisions > 0 && index !== undefined) {
      // The newest revision sampled at least `revisions` entries ago.
      let byCount = 0;
      for (const s of this.#samples) if (s.index <= index - this.o.revisions) byCount = s.revision;
      targets.push(byCount);
    }
    if (this.o.ageMs > 0) {
      // The newest revision that is already older than the age limit.
      let byAge = 0;
      for (const s of this.#samples) if (s.atMs <= now - this.o.ageMs) byAge = s.revision;
      targets.push(byAge);
    }
    const rules = targets.length === 0 ? 0 : Math.max(0, Math.min(...targets));
    return Math.max(rules, this.#floor());
  }

  #floor(): number {
    return Math.min(this.d.floor?.() ?? 0, this.d.revision());
  }

  check(): void {
    const now = this.d.clock.nowMs();
    const index = this.d.index?.();
    this.#samples.push({ atMs: now, revision: this.d.revision(), index: index ?? 0 });
    // A sample goes once the next one is old enough for every rule that reads samples.
    const stale = (s: { atMs: number; index: number }) =>
      s.atMs <= now - this.o.ageMs &&
      (index === undefined || this.o.revisions === 0 || s.index <= index - this.o.revisions);
    while (
      this.#samples.length > SAMPLES_MAX ||
      (this.#samples.length > 1 && stale(this.#samples[1]))
    ) this.#samples.shift();
    if (this.#inFlight || !this.d.isLeader()) return;
    const target = this.target(now);
    const compacted = this.d.compacted();
    const slack = this.o.revisions > 0 ? Math.ceil(this.o.revisions / 10) : 1;
    if (target <= compacted || (target - compacted < slack && target > this.#floor())) return;
    this.#inFlight = true;
    this.proposed++;
    this.d.execute({ body: { case: "compact", value: { revision: BigInt(target) } } })
      .catch((err) =>
        this.d.logger?.warn("history.compaction_failed", { target, error: String(err) })
      )
      .finally(() => (this.#inFlight = false));
  }
}
