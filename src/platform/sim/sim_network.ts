/**
 * A simulated packet network between named endpoints (node ids). Every
 * message gets a random delay, so messages between the same pair can be
 * reordered; each can be dropped or duplicated with a configured probability;
 * links can be cut one way or both ways (partitions) and healed. All random
 * choices come from the injected PRNG and deliveries are timers on the
 * SimClock, so a run replays exactly from its seed.
 *
 * Messages are handed over by reference unless `copy` is given: pass a deep
 * copy (or encoded bytes) so a receiver can never mutate what a sender still
 * holds, as a real network guarantees.
 */
import { assert } from "../../util/assert.ts";
import type { Prng } from "../../util/prng.ts";
import type { SimClock } from "./sim_clock.ts";
import type { SimTrace } from "./sim_trace.ts";

export interface SimNetworkOptions<T> {
  /** Probability a message is lost. */
  dropRate?: number;
  /** Probability a delivered message is delivered twice. */
  duplicateRate?: number;
  /** Delivery delay bounds in virtual ms (uniform). */
  delayMinMs?: number;
  delayMaxMs?: number;
  /** Deep copy applied to each delivered message (default: identity). */
  copy?: (message: T) => T;
  /** Short text for the trace (default: none). */
  describe?: (message: T) => string;
  trace?: SimTrace;
}

export type Deliver<T> = (from: string, message: T) => void;

export interface SimNetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  cut: number;
  duplicated: number;
}

export class SimNetwork<T> {
  readonly #handlers = new Map<string, Deliver<T>>();
  /** Directed links that drop everything: "from>to". */
  readonly #cutLinks = new Set<string>();
  readonly stats: SimNetworkStats = { sent: 0, delivered: 0, dropped: 0, cut: 0, duplicated: 0 };

  constructor(
    readonly clock: SimClock,
    readonly prng: Prng,
    readonly options: SimNetworkOptions<T> = {},
  ) {
    const min = options.delayMinMs ?? 1, max = options.delayMaxMs ?? 10;
    assert(min >= 0 && min <= max, `delay bounds ${min}..${max}`);
  }

  /** Registers the receiver for an endpoint (replaces any earlier one, e.g. after restart). */
  attach(endpoint: string, deliver: Deliver<T>): void {
    this.#handlers.set(endpoint, deliver);
  }

  /** Removes an endpoint: messages to it are dropped (a crashed node). */
  detach(endpoint: string): void {
    this.#handlers.delete(endpoint);
  }

  /** Drops messages from `from` to `to` (one direction only). */
  cut(from: string, to: string): void {
    this.#cutLinks.add(`${from}>${to}`);
    this.#trace(`cut ${from}>${to}`);
  }

  /** Splits endpoints into groups that cannot reach each other (both directions). */
  partition(groups: readonly (readonly string[])[]): void {
    for (const a of groups) {
      for (const b of groups) {
        if (a === b) continue;
        for (const x of a) for (const y of b) this.#cutLinks.add(`${x}>${y}`);
      }
    }
    this.#trace(`partition ${groups.map((g) => g.join(",")).join(" | ")}`);
  }

  /** Restores every link. */
  heal(): void {
    this.#cutLinks.clear();
    this.#trace("heal");
  }

  isCut(from: string, to: string): boolean {
    return this.#cutLinks.has(`${from}>${to}`);
  }

  /** Sends one message; delivery (if any) happens later on the clock. */
  send(from: string, to: string, message: T): void {
    this.stats.sent++;
    if (this.isCut(from, to)) {
      this.stats.cut++;
      return;
    }
    if (this.prng.chance(this.options.dropRate ?? 0)) {
      this.stats.dropped++;
      this.#trace(`drop ${from}>${to} ${this.#describe(message)}`);
      return;
    }
    this.#schedule(from, to, message);
    if (this.prng.chance(this.options.duplicateRate ?? 0)) {
      this.stats.duplicated++;
      this.#schedule(from, to, message);
    }
  }

  #schedule(from: string, to: string, message: T): void {
    const delay = this.prng.range(this.options.delayMinMs ?? 1, this.options.delayMaxMs ?? 10);
    const copy = this.options.copy;
    const payload = copy ? copy(message) : message;
    this.clock.setTimeout(() => {
      const deliver = this.#handlers.get(to);
      // A partition that starts while a message is in flight also loses it.
      if (deliver === undefined || this.isCut(from, to)) {
        this.stats.cut++;
        return;
      }
      this.stats.delivered++;
      this.#trace(`deliver ${from}>${to} ${this.#describe(payload)}`);
      deliver(from, payload);
    }, delay);
  }

  #describe(message: T): string {
    return this.options.describe ? this.options.describe(message) : "";
  }

  #trace(event: string): void {
    this.options.trace?.record(this.clock.nowMs(), `net ${event}`);
  }
}
