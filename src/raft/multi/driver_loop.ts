/**
 * Drives a MultiRaftDriver from a clock: one timer for every region of the
 * node (ticker.ts turns elapsed time into ticks, catching up after a pause),
 * and a round whenever something arrives (`kick`). A failed round stops the
 * loop for good (`failure`): the log's tail is in an unknown state.
 */
import type { Clock } from "../../platform/types.ts";
import { Ticker } from "../ticker.ts";
import type { MultiRaftDriver } from "./driver.ts";

export class MultiRaftLoop {
  readonly #ticker: Ticker;
  #running = false;
  #again = false;
  #failure: unknown = undefined;

  constructor(readonly driver: MultiRaftDriver, clock: Clock, tickMs: number) {
    this.#ticker = new Ticker(clock, tickMs, () => driver.tick());
  }

  get failure(): unknown {
    return this.#failure;
  }

  start(): void {
    this.#ticker.start(() => this.kick(), () => this.#failure !== undefined);
  }

  stop(): void {
    this.#ticker.stop();
  }

  /** Runs a round now, or right after the one in progress. */
  kick(): void {
    if (this.#failure !== undefined) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.driver.runOnce().then(
      () => {
        this.#running = false;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      },
      (err: unknown) => {
        this.#running = false;
        this.#failure = err;
        this.stop();
      },
    );
  }
}
