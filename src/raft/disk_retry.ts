/**
 * The Raft driver's handling of a full disk (docs/decisions/0005): a Ready
 * whose save failed with `NoSpaceError` stays pending, and is saved again
 * after a backoff from DISK_RETRY_MS_MIN doubling to DISK_RETRY_MS_MAX; the
 * backoff starts over after a save succeeds.
 */
import { DISK_RETRY_MS_MAX, DISK_RETRY_MS_MIN } from "../limits.ts";
import type { Clock } from "../platform/types.ts";
import type { NoSpaceError } from "../util/errors.ts";
import type { Ready } from "./core/ready.ts";

/** A Ready whose save failed for lack of space, and what its first attempt already did. */
export interface UnsavedReady {
  readonly rd: Ready;
  /** Handled in the strict order (snapshot or conf change). */
  readonly strict: boolean;
  /** Its messages were sent before the failed save (a leader's appends). */
  readonly sentFirst: boolean;
  /** How many of its committed entries were queued for apply before the save. */
  readonly appliedEarly: number;
}

/** `U` is what a failed save leaves to redo: one Ready here, a whole round in multi/. */
export class DiskRetry<U = UnsavedReady> {
  /** The Ready to save again before any other. */
  unsaved: U | undefined = undefined;
  /** The error of the last failed save, until a save succeeds. */
  full: NoSpaceError | undefined = undefined;
  #delayMs = DISK_RETRY_MS_MIN;
  #atMs = 0;

  /** `clock` undefined: the node is driven by direct `runOnce` calls, which retry at once. */
  constructor(readonly clock: Clock | undefined, readonly kick: () => void) {}

  /** A Ready is pending and its retry is not due yet. */
  get waiting(): boolean {
    return this.unsaved !== undefined && this.clock !== undefined &&
      this.clock.nowMs() < this.#atMs;
  }

  /** A save failed for lack of space: the caller sets `unsaved`; a retry is scheduled. */
  failed(err: NoSpaceError): void {
    this.full = err;
    const clock = this.clock;
    if (clock === undefined) return;
    this.#atMs = clock.nowMs() + this.#delayMs;
    clock.setTimeout(() => this.kick(), this.#delayMs);
    this.#delayMs = Math.min(DISK_RETRY_MS_MAX, this.#delayMs * 2);
  }

  saved(): void {
    if (this.unsaved !== undefined) this.#delayMs = DISK_RETRY_MS_MIN;
    this.unsaved = undefined;
    this.full = undefined;
  }
}
