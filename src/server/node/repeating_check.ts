/**
 * A check a node runs every `intervalMs` between `start()` and `stop()` (the region membership
 * follower, the placement operators' runner). The next run is scheduled after the check returns,
 * so a slow check delays the next one rather than piling runs up; `stop()` ends it even from
 * inside the check.
 */
import type { Clock, TimerId } from "../../platform/types.ts";

export class RepeatingCheck {
  #timer: TimerId | undefined;

  constructor(
    readonly clock: Clock,
    readonly intervalMs: number,
    readonly check: () => void,
  ) {}

  start(): void {
    const again = () => {
      this.#timer = this.clock.setTimeout(() => {
        this.check();
        if (this.#timer !== undefined) again();
      }, this.intervalMs);
    };
    again();
  }

  stop(): void {
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
