/**
 * Turns clock time into Raft ticks for the driver (node.ts): one tick per
 * `tickMs` elapsed, counted from the clock rather than from timer firings,
 * so a process that was paused (GC, VM stall) catches up on the ticks it
 * missed — and sees its lease expire — before it handles anything else.
 *
 * Past the first STALL_TICKS_COUNTED of one catch-up the ticks are `stalled`:
 * the driver ticks only its leaders then (their leases and CheckQuorum must
 * see the time pass), not its followers. A follower's election timer counts
 * time in which it could hear its leader; during a stall the leader's
 * heartbeats wait unread in the socket, and counting the stall made every
 * follower that stalled longer than an election timeout campaign as soon as
 * it woke, before reading them (the 1M-key e2e: a node catching up images
 * campaigned, took region 1, and lost its followers every few seconds while
 * it stalled again). Not counting it only keeps a follower in its leader's
 * lease longer (it refuses votes longer), which lease reads rely on anyway.
 */
import { assert } from "../util/assert.ts";
import type { Clock, TimerId } from "../platform/types.ts";

/** Missed ticks one catch-up counts for every region; past these, only leaders tick. */
export const STALL_TICKS_COUNTED = 3;

export class Ticker {
  #timer: TimerId | undefined = undefined;
  #lastTickMs = 0;
  #started = false;

  constructor(
    readonly clock: Clock | undefined,
    readonly tickMs: number | undefined,
    readonly tick: (stalled: boolean) => void,
    /** Told how late a catch-up found the ticks (past one tick), for the node's stall log. */
    readonly late?: (lateMs: number) => void,
  ) {}

  /** Fires `onTimer` every `tickMs` after catching up on ticks (unless `stopped()`). */
  start(onTimer: () => void, stopped: () => boolean): void {
    const { clock, tickMs } = this;
    assert(clock !== undefined && tickMs !== undefined && tickMs > 0, "start() needs a clock");
    this.#lastTickMs = clock.nowMs();
    this.#started = true;
    const loop = (): void => {
      this.#timer = clock.setTimeout(loop, tickMs);
      if (stopped()) return; // a stopped node must not even campaign
      this.catchUp();
      onTimer();
    };
    this.#timer = clock.setTimeout(loop, tickMs);
  }

  /** Ticks once per `tickMs` elapsed on the clock since the last tick (once started). */
  catchUp(): void {
    const { clock, tickMs } = this;
    if (!this.#started || clock === undefined || tickMs === undefined) return;
    const elapsed = clock.nowMs() - this.#lastTickMs;
    const due = Math.floor(elapsed / tickMs);
    if (due > 1) this.late?.(elapsed - tickMs);
    for (let i = 0; i < due; i++) this.tick(i >= STALL_TICKS_COUNTED);
    this.#lastTickMs += due * tickMs;
  }

  stop(): void {
    if (this.#timer !== undefined) this.clock?.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
