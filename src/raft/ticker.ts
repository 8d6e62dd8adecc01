/**
 * Turns clock time into Raft ticks for the driver (node.ts): one tick per
 * `tickMs` elapsed, counted from the clock rather than from timer firings,
 * so a process that was paused (GC, VM stall) catches up on the ticks it
 * missed — and sees its lease expire — before it handles anything else.
 */
import { assert } from "../util/assert.ts";
import type { Clock, TimerId } from "../platform/types.ts";

export class Ticker {
  #timer: TimerId | undefined = undefined;
  #lastTickMs = 0;
  #started = false;

  constructor(
    readonly clock: Clock | undefined,
    readonly tickMs: number | undefined,
    readonly tick: () => void,
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
    const due = Math.floor((clock.nowMs() - this.#lastTickMs) / tickMs);
    for (let i = 0; i < due; i++) this.tick();
    this.#lastTickMs += due * tickMs;
  }

  stop(): void {
    if (this.#timer !== undefined) this.clock?.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
