/**
 * Drives a MultiRaftDriver from a clock: one timer for every region of the
 * node (ticker.ts turns elapsed time into ticks, catching up after a pause),
 * and a round whenever something arrives (`kick`). A failed round stops the
 * loop for good (`failure`): the log's tail is in an unknown state. The
 * driver's region handles (region_node.ts) kick, start and stop it.
 */
import type { Clock } from "../../platform/types.ts";
import { Ticker } from "../ticker.ts";
import type { DriverLoop, MultiRaftDriver } from "./driver.ts";

/** What the loop tells about its own timeliness (the node logs stalls: docs/logging.md). */
export interface LoopWatch {
  /** The timer found the ticks this late (the event loop was held, or the process paused). */
  late(ms: number): void;
  /** A round took this long: no heartbeat left the node meanwhile. */
  round(ms: number): void;
}

export class MultiRaftLoop implements DriverLoop {
  readonly #ticker: Ticker;
  #running = false;
  #started = false;
  #again = false;
  /** Inside `hold`: kicks wait for its end (`#heldKick`). */
  #holding = 0;
  #heldKick = false;
  #failure: unknown = undefined;
  /** Work that must run between rounds (adding a split's child: addRegions refuses in one). */
  #between: (() => Promise<void>)[] = [];

  constructor(
    readonly driver: MultiRaftDriver,
    readonly clock: Clock,
    tickMs: number,
    readonly watch?: LoopWatch,
  ) {
    const late = watch === undefined ? undefined : (ms: number) => watch.late(ms);
    this.#ticker = new Ticker(clock, tickMs, (stalled) => driver.tick(stalled), late);
    driver.loop = this;
  }

  get failure(): unknown {
    return this.#failure ?? this.driver.failure;
  }

  /** Starts the timer (once: every region's handle may call it). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#ticker.start(() => this.kick(), () => this.failure !== undefined);
  }

  stop(): void {
    this.#started = false;
    this.#ticker.stop();
  }

  catchUp(): void {
    this.#ticker.catchUp();
  }

  /** Runs `task` after the round in progress (or now), before the next round. */
  between(task: () => Promise<void>): void {
    this.#between.push(task);
    this.kick();
  }

  async #run(): Promise<void> {
    const t0 = this.watch === undefined ? 0 : this.clock.nowMs();
    while (this.#between.length > 0) {
      const tasks = this.#between;
      this.#between = [];
      for (const task of tasks) await task();
    }
    await this.driver.runOnce();
    if (this.watch !== undefined) this.watch.round(this.clock.nowMs() - t0);
  }

  /**
   * Runs `fn`, holding the rounds it kicks until it returns: proposals it makes in several
   * regions (a batch of writes stamped together) go into one round and one fsync, where the
   * first would start a round of its own at once and the rest wait for the next.
   */
  hold(fn: () => void): void {
    this.#holding++;
    try {
      fn();
    } finally {
      if (--this.#holding === 0 && this.#heldKick) {
        this.#heldKick = false;
        this.kick();
      }
    }
  }

  /** Runs a round now, or right after the one in progress. */
  kick(): void {
    if (this.failure !== undefined) return;
    if (this.#holding > 0) {
      this.#heldKick = true;
      return;
    }
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#run().then(
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
