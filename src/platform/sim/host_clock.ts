/**
 * The clock of one simulated process, over the world's shared SimClock.
 * `stopAll()` is a crash: every timer the process set is cancelled and later
 * ones are never scheduled, so a dead node runs nothing more. `pause()` is a
 * SIGSTOP: timers that come due are held, and `resume()` fires the overdue
 * ones in their original order, each as its own timer so a driver settles
 * promises between them. Time itself is the shared virtual time.
 */
import type { Clock, TimerId } from "../types.ts";
import type { SimClock } from "./sim_clock.ts";

export class HostClock implements Clock {
  /** Own timer id → the shared clock's id for it (while scheduled there). */
  readonly #scheduled = new Map<TimerId, TimerId>();
  /** Timers that came due while paused, in firing order. */
  #overdue: { id: TimerId; fn: () => void }[] = [];
  #nextId = 1;
  #stopped = false;
  #paused = false;

  constructor(readonly shared: SimClock) {}

  nowMs(): number {
    return this.shared.nowMs();
  }

  wallMs(): number {
    return this.shared.wallMs();
  }

  /** A negative delay means "now", as runtimes treat it (a deadline already past). */
  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.#nextId++;
    if (!this.#stopped) this.#schedule(id, fn, Math.max(0, ms));
    return id;
  }

  clearTimeout(id: TimerId): void {
    const sharedId = this.#scheduled.get(id);
    if (sharedId !== undefined) {
      this.shared.clearTimeout(sharedId);
      this.#scheduled.delete(id);
    }
    this.#overdue = this.#overdue.filter((t) => t.id !== id);
  }

  /** Cancels every timer and ignores later ones: the process is dead. */
  stopAll(): void {
    this.#stopped = true;
    for (const sharedId of this.#scheduled.values()) this.shared.clearTimeout(sharedId);
    this.#scheduled.clear();
    this.#overdue = [];
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Holds timers that come due until `resume()`. */
  pause(): void {
    this.#paused = true;
  }

  /** Fires the timers that came due while paused, oldest first, one shared timer each. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    const overdue = this.#overdue;
    this.#overdue = [];
    if (this.#stopped) return;
    for (const timer of overdue) this.#schedule(timer.id, timer.fn, 0);
  }

  /** Timers set and neither fired nor cleared (held ones included). */
  pendingTimers(): number {
    return this.#scheduled.size + this.#overdue.length;
  }

  #schedule(id: TimerId, fn: () => void, ms: number): void {
    const sharedId = this.shared.setTimeout(() => {
      this.#scheduled.delete(id);
      if (this.#paused) this.#overdue.push({ id, fn });
      else fn();
    }, ms);
    this.#scheduled.set(id, sharedId);
  }
}
