/**
 * Drives a simulation whose code awaits promises between timer callbacks.
 * After each virtual timer fires, `settle()` crosses one macrotask boundary,
 * which the runtime only reaches once the microtask queue is empty: every
 * promise chain the callback started has run as far as it can without another
 * timer. No real timer or I/O decides anything, so the order of events stays
 * a pure function of the seed.
 *
 * `setImmediate` (node:timers) rather than a MessageChannel: measured on this
 * machine, a round trip costs 1.8–2.8 µs under Deno (MessageChannel 4–5 µs) and
 * 1.1–1.6 µs under Bun (MessageChannel the same), and it holds no port that
 * would keep the process alive. A nested `setTimeout(0)` is clamped to about
 * 1 ms under Bun and 2 ms under Deno, a thousand times slower.
 */
import { setImmediate } from "node:timers";
import type { SimClock } from "./sim_clock.ts";

/** Resolves once every microtask pending now (and those they queue) has run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Fires timers one at a time, settling after each, until `done()` holds
 * (true) or no timer is due within `maxVirtualMs` of now (false; the clock is
 * then left at the end of the budget, or where the last timer fired if none is
 * left at all).
 */
export async function runUntil(
  clock: SimClock,
  done: () => boolean,
  maxVirtualMs: number,
): Promise<boolean> {
  const deadlineMs = clock.nowMs() + maxVirtualMs;
  await settle();
  while (!done()) {
    const dueMs = clock.nextDueMs();
    if (dueMs === undefined) return false;
    if (dueMs > deadlineMs) {
      clock.advance(deadlineMs - clock.nowMs());
      return false;
    }
    clock.fireNext();
    await settle();
  }
  return true;
}

/** Runs the simulation until `promise` settles; rejects like it, or if the budget runs out. */
export async function runUntilSettled<T>(
  clock: SimClock,
  promise: Promise<T>,
  maxVirtualMs: number,
): Promise<T> {
  let settled = false;
  const mark = () => void (settled = true);
  promise.then(mark, mark);
  if (!await runUntil(clock, () => settled, maxVirtualMs)) {
    throw new Error(`the simulation did not settle the promise within ${maxVirtualMs} virtual ms`);
  }
  return promise;
}
