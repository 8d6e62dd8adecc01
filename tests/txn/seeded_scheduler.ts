/**
 * Interleaves concurrent transactions deterministically: every region request waits in a queue,
 * and a seeded PRNG picks which one runs next (each step is one atomic region request and moves the
 * virtual clock by 1 ms). Sleeps wait for the virtual clock, which jumps to the next sleeper when
 * nothing else can run. The same seed gives the same interleaving.
 */
import type { Prng } from "../../src/util/prng.ts";
import type { Schedule } from "./txn_harness.ts";

export class SeededScheduler {
  readonly #ready: (() => void)[] = [];
  readonly #sleepers: { at: number; wake: () => void }[] = [];
  steps = 0;

  constructor(readonly prng: Prng, readonly clock: { nowMs: number }) {}

  readonly schedule: Schedule = <T>(fn: () => T) =>
    new Promise<T>((resolve, reject) => {
      this.#ready.push(() => {
        try {
          resolve(fn());
        } catch (e) {
          reject(e);
        }
      });
    });

  readonly sleep = (ms: number): Promise<void> =>
    new Promise((wake) => this.#sleepers.push({ at: this.clock.nowMs + ms, wake }));

  /** Runs until every task settles; throws if that takes more than `maxSteps` steps. */
  async run(tasks: readonly Promise<unknown>[], maxSteps: number): Promise<void> {
    let pending = tasks.length;
    for (const t of tasks) t.then(() => pending--, () => pending--);
    for (;;) {
      // Let every task run up to its next request (promise continuations only; bounded).
      for (let i = 0; i < 64; i++) await Promise.resolve();
      if (pending === 0) return;
      if (++this.steps > maxSteps) throw new Error(`not done after ${maxSteps} steps`);
      if (this.#ready.length > 0) {
        const [run] = this.#ready.splice(this.prng.int(this.#ready.length), 1);
        this.clock.nowMs += 1;
        run();
      } else if (this.#sleepers.length > 0) {
        this.#sleepers.sort((a, b) => a.at - b.at);
        const next = this.#sleepers.shift()!;
        this.clock.nowMs = Math.max(this.clock.nowMs, next.at);
        next.wake();
      } else {
        throw new Error("deadlock: tasks pending but nothing to run");
      }
    }
  }
}
