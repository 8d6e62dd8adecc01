/**
 * Cluster-wide timestamps and the timestamp oracle (docs/decisions/0014-regions.md §5,
 * docs/transactions.md#timestamps).
 *
 * A timestamp is `(unixMs − 2026-01-01) × 2048 + logical`: milliseconds since the epoch in the
 * high bits, a counter of 11 bits in the low ones. It stays below 2^53 until the year 2161, so it
 * is an ordinary JavaScript number everywhere (and fits the 64-bit revision slot of the engine).
 *
 * The oracle hands out strictly increasing timestamps from memory, below an upper bound it has
 * persisted (through the placement service's Raft group). It is a pure state machine: it never
 * persists anything itself. When the bound is too close it answers "persist bound X first"; the
 * caller persists X, reports it with `persisted(X)`, and asks again. A new leader builds its oracle
 * from the last persisted bound, so its first timestamp is above everything an earlier leader can
 * have handed out, and a clock that goes backwards only slows timestamps down (they continue from
 * the last one), never makes them go backwards.
 */
import { TSO_BATCH_MAX, TSO_WINDOW_MS } from "../limits_ops.ts";

/** 2026-01-01T00:00:00Z: physical time 0 of a timestamp. */
export const TIMESTAMP_EPOCH_MS = 1_767_225_600_000;
/** Timestamps per millisecond (the logical counter's range). */
export const LOGICAL_PER_MS = 2048;

/** A timestamp or a request for timestamps that is not valid. */
export class InvalidTimestampError extends Error {
  override name = "InvalidTimestampError";
  readonly code = "INVALID_TIMESTAMP" as const;
}

/** Whether `ts` can be a timestamp: a safe integer ≥ 0. */
export function isTimestamp(ts: number): boolean {
  return Number.isSafeInteger(ts) && ts >= 0;
}

/** The timestamp of `unixMs` (at or after the epoch) and a logical counter in [0, 2048). */
export function composeTimestamp(unixMs: number, logical: number): number {
  const ms = unixMs - TIMESTAMP_EPOCH_MS;
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new InvalidTimestampError(`time ${unixMs} is not a whole number of ms after 2026`);
  }
  if (!Number.isInteger(logical) || logical < 0 || logical >= LOGICAL_PER_MS) {
    throw new InvalidTimestampError(`logical ${logical} is outside [0, ${LOGICAL_PER_MS})`);
  }
  const ts = ms * LOGICAL_PER_MS + logical;
  if (!Number.isSafeInteger(ts)) throw new InvalidTimestampError(`time ${unixMs} is past 2161`);
  return ts;
}

/** The physical time (Unix ms) and logical counter of a timestamp. */
export function parseTimestamp(ts: number): { unixMs: number; logical: number } {
  if (!isTimestamp(ts)) throw new InvalidTimestampError(`timestamp ${ts} is not a safe integer`);
  const logical = ts % LOGICAL_PER_MS;
  return { unixMs: TIMESTAMP_EPOCH_MS + (ts - logical) / LOGICAL_PER_MS, logical };
}

/** The physical time of a timestamp, Unix ms. */
export function timestampMs(ts: number): number {
  return parseTimestamp(ts).unixMs;
}

/** The first timestamp of `unixMs`, or of the epoch for a clock before it. */
function floorOf(unixMs: number): number {
  return composeTimestamp(Math.max(TIMESTAMP_EPOCH_MS, Math.floor(unixMs)), 0);
}

/**
 * What the oracle answers. `granted`: timestamps `first .. first + count − 1`, all larger than any
 * handed out before; `persist`, when present, asks the caller to persist that bound soon (the
 * window is half used) without waiting for it. `persist` alone: nothing was handed out; persist
 * `bound`, call `persisted(bound)`, then ask again.
 */
export type TsoGrant =
  | { readonly kind: "granted"; readonly first: number; readonly count: number; persist?: number }
  | { readonly kind: "persist"; readonly bound: number };

export class TimestampOracle {
  /** The highest timestamp handed out (at start: just below the persisted bound). */
  #last: number;
  /** Every timestamp handed out is below this persisted bound. */
  #bound: number;
  /** The highest bound the caller was asked to persist. */
  #requested: number;
  readonly #windowTs: number;

  /**
   * An oracle of a leader that read `persistedBound` (0 for a new cluster) from its state: its
   * timestamps start at that bound, above every timestamp an earlier leader handed out.
   */
  constructor(persistedBound: number, readonly windowMs: number = TSO_WINDOW_MS) {
    if (!isTimestamp(persistedBound)) {
      throw new InvalidTimestampError(`persisted bound ${persistedBound} is not a timestamp`);
    }
    if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
      throw new InvalidTimestampError(`window ${windowMs} ms is not a positive integer`);
    }
    this.#last = persistedBound - 1;
    this.#bound = persistedBound;
    this.#requested = persistedBound;
    this.#windowTs = windowMs * LOGICAL_PER_MS;
  }

  /** The persisted bound timestamps are handed out below. */
  get bound(): number {
    return this.#bound;
  }

  /** The highest timestamp handed out, or the start bound − 1 before the first. */
  get last(): number {
    return this.#last;
  }

  /** Up to `count` new timestamps at the clock reading `nowMs` (Unix ms). */
  next(count: number, nowMs: number): TsoGrant {
    if (!Number.isInteger(count) || count < 1 || count > TSO_BATCH_MAX) {
      throw new InvalidTimestampError(`count ${count} is outside [1, ${TSO_BATCH_MAX}]`);
    }
    const first = Math.max(floorOf(nowMs), this.#last + 1);
    const end = first + count;
    if (end > this.#bound) return { kind: "persist", bound: this.#ask(end, nowMs) };
    this.#last = end - 1;
    const grant: TsoGrant = { kind: "granted", first, count };
    // Ask ahead when half the window is used, so a busy oracle rarely waits for its log.
    if (this.#bound - end < this.#windowTs / 2 && this.#requested <= this.#bound) {
      grant.persist = this.#ask(end, nowMs);
    }
    return grant;
  }

  /** The caller persisted `bound`: timestamps below it may be handed out. */
  persisted(bound: number): void {
    if (!isTimestamp(bound)) throw new InvalidTimestampError(`bound ${bound} is not a timestamp`);
    if (bound > this.#bound) this.#bound = bound;
  }

  /** A bound a window past the clock (or past the last timestamp, if the clock is behind it). */
  #ask(atLeast: number, nowMs: number): number {
    const base = Math.max(floorOf(nowMs), this.#last + 1);
    const bound = Math.max(base + this.#windowTs, atLeast, this.#requested);
    if (!isTimestamp(bound)) throw new InvalidTimestampError("timestamps are exhausted (2161)");
    this.#requested = bound;
    return bound;
  }
}
