/**
 * The Raft driver's apply pipeline (node.ts): committed entries are applied
 * strictly in order, one batch after another, while the driver goes on to
 * persist the next Ready. A failed apply is kept and rethrown by the driver
 * at its next check (`throwIfFailed`); batches queued after it are skipped.
 *
 * Entries a Ready persisted itself are `defer`red: they are queued only once
 * the next Ready's fsync is under way (or when the pipeline is drained).
 */
import { assert } from "../util/assert.ts";
import type { Entry } from "./core/messages.ts";

/** `T` is what a batch holds: entries here, (region, entries) pairs in multi/. */
export class ApplyPipeline<T = Entry> {
  /** Tail of the queued batches; never rejects (a failure goes to #error). */
  #tail: Promise<void> = Promise.resolve();
  #pending = false;
  #deferred: readonly T[] = [];
  #error: { readonly err: unknown } | undefined = undefined;

  constructor(readonly applyBatch: (entries: readonly T[]) => Promise<void>) {}

  /** Something is queued, running or deferred. */
  get busy(): boolean {
    return this.#pending || this.#deferred.length > 0;
  }

  /** Resolves once everything queued so far has run (never rejects). */
  get settled(): Promise<void> {
    return this.#tail;
  }

  /**
   * Sets the entries to queue at the next `queueDeferred`. The driver defers
   * one Ready's entries at a time and queues them before it takes the next
   * Ready (or drains), so something still deferred here is a driver bug that
   * would otherwise skip those entries on this node's state machine.
   */
  defer(entries: readonly T[]): void {
    assert(
      this.#deferred.length === 0,
      `defer: ${this.#deferred.length} items are still deferred (not queued)`,
    );
    this.#deferred = entries;
  }

  queueDeferred(): void {
    const entries = this.#deferred;
    this.#deferred = [];
    if (entries.length > 0) this.queue(entries);
  }

  queue(entries: readonly T[]): void {
    this.#pending = true;
    const run = async () => {
      if (this.#error !== undefined) return;
      try {
        await this.applyBatch(entries);
      } catch (err) {
        this.#error = { err };
      }
    };
    const done = this.#tail.then(run);
    this.#tail = done;
    done.then(() => {
      if (this.#tail === done) this.#pending = false;
    });
  }

  /** Queues the deferred entries and waits for everything; throws a failed apply. */
  async drain(): Promise<void> {
    this.queueDeferred();
    await this.#tail;
    this.#pending = false;
    this.throwIfFailed();
  }

  throwIfFailed(): void {
    if (this.#error !== undefined) throw this.#error.err;
  }
}
