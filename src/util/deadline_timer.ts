/**
 * One timer for many deadlines (requests on a connection, writes waiting to
 * apply): a timer per deadline cost measurable CPU at tens of thousands of
 * requests a second. The timer is armed for the earliest deadline; when it
 * fires, the owner's `expire(now)` settles everything due and returns the
 * next deadline (Infinity for none).
 */

/** The clock it needs (the platform's Clock has this shape; util imports nothing). */
export interface TimerClock<Id> {
  nowMs(): number;
  setTimeout(fn: () => void, ms: number): Id;
  clearTimeout(id: Id): void;
}

export class DeadlineTimer<Id> {
  #timer: Id | undefined = undefined;
  #at = Infinity;

  constructor(
    readonly clock: TimerClock<Id>,
    readonly expire: (now: number) => number,
  ) {}

  /** A deadline was added: fire no later than `at`. */
  add(at: number): void {
    if (at < this.#at) this.#arm(at);
  }

  /** Nothing is waiting any more: drop the timer. */
  clear(): void {
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#at = Infinity;
  }

  #arm(at: number): void {
    this.clear();
    this.#at = at;
    this.#timer = this.clock.setTimeout(() => this.#fire(), Math.max(0, at - this.clock.nowMs()));
  }

  #fire(): void {
    this.#timer = undefined;
    this.#at = Infinity;
    const next = this.expire(this.clock.nowMs());
    if (next < Infinity) this.#arm(next);
  }
}
