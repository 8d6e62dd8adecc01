/**
 * The closes watches over several regions ask of idle regions (span_watch.ts, decision 0018
 * "Watches over several regions"): a region that wrote nothing since an event another region's
 * sub-watch holds does not move its revision, so the merge could not send that event; a close at
 * the event's revision (region_router.ts `closeAt`: done here when this node leads the region,
 * without a log entry since decision 0023, else asked of its leader, then this replica's
 * ReadIndex) makes it final.
 *
 * When the close's answer comes, this replica has applied every entry that could change the
 * region at or below the asked revision, and the passes that applied them published their events
 * on this node (an apply pass publishes before it answers its reads), so the region has published
 * every change up to the asked revision: its *floor*. At most one close per region is in flight,
 * and one per WATCH_SPAN_BARRIER_INTERVAL_MS at most; one asked sooner, or one that failed (no
 * leader), is retried by a timer that runs the waiting watches' merges again.
 */
import type { Clock, TimerId } from "../../platform/types.ts";
import type { HostedRegion } from "./region_host.ts";
import { finalRevision } from "./close_without_entry.ts";

/**
 * Least ms between two barriers watches ask of one region (docs/limits.md): the delay a change
 * of a busy region may wait for an idle one, and the barrier rate of an idle watched region.
 */
export const WATCH_SPAN_BARRIER_INTERVAL_MS = 100;

/** Closes region `r` at `revision` (region_router.ts closeAt; `ask`: of its leader if need be). */
export type CloseRegion = (r: HostedRegion, revision: number, ask: boolean) => Promise<unknown>;

export class SpanBarriers {
  readonly #floors = new Map<number, number>();
  readonly #lastAskMs = new Map<number, number>();
  readonly #inFlight = new Set<number>();
  #timer: TimerId | undefined;
  #closed = false;
  /** Barriers asked (for tests and metrics). */
  asked = 0;

  constructor(
    readonly clock: Clock,
    readonly closeRegion: CloseRegion,
    /** Runs the merges again: a floor moved, or a barrier may be asked now. */
    readonly again: () => void,
    readonly intervalMs = WATCH_SPAN_BARRIER_INTERVAL_MS,
  ) {}

  /** The revision region `id` has published every change up to, as barriers told (0: none). */
  floor(id: number): number {
    return this.#floors.get(id) ?? 0;
  }

  /** Asks region `r` for a barrier at `revision` when its rate allows; else retries later. */
  ask(r: HostedRegion, revision: number): void {
    if (this.#inFlight.has(r.id) || this.floor(r.id) >= revision) return;
    const now = this.clock.nowMs();
    const last = this.#lastAskMs.get(r.id);
    if (last !== undefined && now - last < this.intervalMs) return this.retry();
    this.#lastAskMs.set(r.id, now);
    this.#inFlight.add(r.id);
    this.asked++;
    this.closeRegion(r, revision, true).then(
      () => {
        // Below `revision` only for a revision the oracle never gave (the barrier's was below).
        if (finalRevision(r) >= revision) {
          this.#floors.set(r.id, Math.max(this.floor(r.id), revision));
        }
      },
      () => {},
    ).finally(() => {
      this.#inFlight.delete(r.id);
      this.again();
      this.retry();
    });
  }

  /** Runs the merges again after the interval (one timer, however many ask). */
  retry(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = this.clock.setTimeout(() => {
      this.#timer = undefined;
      this.again();
    }, this.intervalMs);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
