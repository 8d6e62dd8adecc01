/**
 * The timestamp oracle at work (docs/transactions.md#timestamps): `TimestampService` runs the
 * oracle on the placement leader, persisting its bound through a supplied function (a Raft
 * proposal of the placement group) with at most one persist in flight; `TimestampBatcher` on a
 * node turns all the timestamps wanted in one turn of the event loop into one request, so the
 * oracle costs a round trip per batch of proposals, not per write (decision 0014 §5).
 */
import { TSO_BATCH_MAX } from "../limits_ops.ts";
import { TimestampOracle } from "./timestamp.ts";

/** A range of timestamps: `first .. first + count − 1`. */
export interface TimestampRange {
  readonly first: number;
  readonly count: number;
}

/** How many times one request may wait for a persist before it gives up (a stuck clock or log). */
const PERSIST_ROUNDS_MAX = 3;

export class TimestampService {
  #inFlight: { bound: number; done: Promise<void> } | undefined;

  constructor(
    readonly oracle: TimestampOracle,
    readonly persist: (bound: number) => Promise<void>,
    readonly nowMs: () => number,
  ) {}

  /** `count` new timestamps; waits for the bound to be persisted when it must. */
  async next(count: number): Promise<TimestampRange> {
    for (let round = 0; round <= PERSIST_ROUNDS_MAX; round++) {
      const grant = this.oracle.next(count, this.nowMs());
      if (grant.kind === "granted") {
        // Persisting ahead: nobody waits for it, but its failure must not go unhandled.
        if (grant.persist !== undefined) this.#persist(grant.persist).catch(() => {});
        return { first: grant.first, count: grant.count };
      }
      await this.#persist(grant.bound);
    }
    throw new Error(`timestamp bound not persisted after ${PERSIST_ROUNDS_MAX} rounds`);
  }

  /** Persists `bound`, or joins a persist in flight of a bound at least as high. */
  #persist(bound: number): Promise<void> {
    const current = this.#inFlight;
    if (current !== undefined && current.bound >= bound) return current.done;
    const after = current?.done.catch(() => {}) ?? Promise.resolve();
    const done = after.then(() => this.persist(bound)).then(() => this.oracle.persisted(bound));
    const entry = { bound, done };
    this.#inFlight = entry;
    const clear = () => {
      if (this.#inFlight === entry) this.#inFlight = undefined;
    };
    done.then(clear, clear);
    return done;
  }
}

/** Collects the timestamps wanted in one turn and fetches them with one request. */
export class TimestampBatcher {
  #waiting: { resolve: (ts: number) => void; reject: (e: unknown) => void }[] = [];

  constructor(readonly fetch: (count: number) => Promise<TimestampRange>) {}

  /** One new timestamp, fetched together with every other asked for in this turn. */
  next(): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.#waiting.length === 0) queueMicrotask(() => this.#flush());
      this.#waiting.push({ resolve, reject });
    });
  }

  #flush(): void {
    const batch = this.#waiting.splice(0, TSO_BATCH_MAX);
    if (this.#waiting.length > 0) queueMicrotask(() => this.#flush());
    this.fetch(batch.length).then((range) => {
      if (range.count !== batch.length) {
        throw new Error(`asked ${batch.length}, got ${range.count}`);
      }
      batch.forEach((w, i) => w.resolve(range.first + i));
    }).catch((e) => batch.forEach((w) => w.reject(e)));
  }
}
