/**
 * Virtual time for the simulator. Nothing happens until the test advances
 * the clock; timers fire in (due time, creation order) order, so a run is a
 * pure function of its seed (TigerBeetle's TimeSim).
 */
import { assert } from "../../util/assert.ts";
import type { Clock, TimerId } from "../types.ts";

interface Timer {
  readonly id: TimerId;
  readonly dueMs: number;
  readonly fn: () => void;
}

/** 2026-01-01T00:00:00Z: where simulated wall clocks start. */
export const SIM_WALL_EPOCH_MS = 1_767_225_600_000;

export class SimClock implements Clock {
  #nowMs: number;
  #nextId = 1;
  /** Min-heap on (dueMs, id). */
  readonly #heap: Timer[] = [];
  readonly #cancelled = new Set<TimerId>();
  /** Ids in the heap and not cancelled: clearing a fired id must not count as a cancel. */
  readonly #live = new Set<TimerId>();

  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  /**
   * A fixed virtual Unix epoch plus virtual time, in whole milliseconds as
   * Date.now() gives them: the same in every run of a seed.
   */
  wallMs(): number {
    return SIM_WALL_EPOCH_MS + Math.floor(this.#nowMs);
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    assert(ms >= 0 && Number.isFinite(ms), `setTimeout(${ms})`);
    const timer = { id: this.#nextId++, dueMs: this.#nowMs + ms, fn };
    this.#push(timer);
    this.#live.add(timer.id);
    return timer.id;
  }

  clearTimeout(id: TimerId): void {
    if (this.#live.delete(id)) this.#cancelled.add(id);
  }

  /** Number of timers not yet fired or cancelled. */
  pendingTimers(): number {
    return this.#live.size;
  }

  /** Due time of the next live timer, or undefined. */
  nextDueMs(): number | undefined {
    this.#dropCancelledHead();
    return this.#heap[0]?.dueMs;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  advance(ms: number): void {
    assert(ms >= 0, `advance(${ms})`);
    const target = this.#nowMs + ms;
    for (;;) {
      this.#dropCancelledHead();
      const head = this.#heap[0];
      if (head === undefined || head.dueMs > target) break;
      this.#pop();
      this.#live.delete(head.id);
      this.#nowMs = head.dueMs;
      head.fn();
    }
    this.#nowMs = target;
  }

  /** Jumps to the next timer and fires it (and any due at the same ms). False if none. */
  runNext(): boolean {
    const due = this.nextDueMs();
    if (due === undefined) return false;
    this.advance(due - this.#nowMs);
    return true;
  }

  /**
   * Fires exactly one timer, the next due, moving time to it; false if none.
   * A driver that awaits `settle()` between calls lets every promise chain a
   * callback started finish before the next timer fires (`runUntil`).
   */
  fireNext(): boolean {
    this.#dropCancelledHead();
    if (this.#heap.length === 0) return false;
    const head = this.#pop();
    this.#live.delete(head.id);
    this.#nowMs = head.dueMs;
    head.fn();
    return true;
  }

  #dropCancelledHead(): void {
    while (this.#heap.length > 0 && this.#cancelled.has(this.#heap[0].id)) {
      this.#cancelled.delete(this.#pop().id);
    }
  }

  #less(a: Timer, b: Timer): boolean {
    return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.id < b.id);
  }

  #push(t: Timer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  #pop(): Timer {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    assert(top !== undefined && last !== undefined, "pop from empty timer heap");
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l], h[m])) m = l;
        if (r < h.length && this.#less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
