/**
 * Log compaction for the driver (node.ts), off the Ready loop's critical
 * path: the state machine's image (for TinyKV, flushing the engine) is taken
 * in the background while Readys keep flowing; only the log's own part (the
 * snapshot record and a new segment) runs between two Readys once the image
 * is ready. A compaction covers the entries applied when it started.
 */
import type { ConfState } from "./core/messages.ts";
import type { LogStore } from "./log_store.ts";
import { DISK_RETRY_MS_MAX } from "../limits.ts";
import { NoSpaceError } from "../util/errors.ts";

export interface CompactionHost {
  readonly logStore: LogStore;
  /** Takes the image as of the last applied entry (all applies must be finished). */
  image(): Uint8Array | Promise<Uint8Array>;
  /** Finishes every queued apply, so that the core's applied index is the state machine's. */
  drainApplies(): Promise<void>;
  appliedIndex(): number;
  confState(): ConfState;
  /** Schedules a pass of the Ready loop (the image became ready). */
  kick(): void;
  /** Clock time, for backing off after a full disk (none: no backoff). */
  nowMs?(): number;
}

interface Waiter {
  readonly resolve: (index: number) => void;
  readonly reject: (err: unknown) => void;
}

interface InFlight {
  readonly index: number;
  readonly confState: ConfState;
  readonly waiters: Waiter[];
  outcome: { image: Uint8Array } | { error: unknown } | undefined;
}

export class Compaction {
  /** Callers of `compactNow()` waiting for a compaction that starts after they asked. */
  #waiters: Waiter[] = [];
  /** After a full disk, no compaction starts on its own before this clock time. */
  #retryAtMs = 0;
  #inFlight: InFlight | undefined = undefined;
  /** Payload bytes applied since the last compaction started. */
  appliedBytes = 0;

  constructor(
    readonly host: CompactionHost,
    readonly snapshotEntries: number | undefined,
    readonly snapshotBytes: number | undefined,
  ) {}

  /** Resolves with the snapshot index once a compaction that starts from now has finished. */
  request(): Promise<number> {
    return new Promise<number>((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Whether `step()` has something to do now. */
  get actionable(): boolean {
    return this.#inFlight?.outcome !== undefined ||
      (this.#inFlight === undefined && this.#waiters.length > 0);
  }

  #due(): boolean {
    const pending = this.host.appliedIndex() -
      this.host.logStore.storage.snapshot().metadata.index;
    if (this.#waiters.length > 0) return true;
    if ((this.host.nowMs?.() ?? Infinity) < this.#retryAtMs) return false;
    return (this.snapshotEntries !== undefined && pending >= this.snapshotEntries) ||
      (this.snapshotBytes !== undefined && this.appliedBytes >= this.snapshotBytes);
  }

  /** Called between Readys: finishes a compaction whose image is ready, or starts one if due. */
  async step(): Promise<void> {
    const c = this.#inFlight;
    if (c !== undefined) {
      if (c.outcome === undefined) return; // the image is still being taken
      this.#inFlight = undefined;
      try {
        if ("error" in c.outcome) throw c.outcome.error;
        await this.host.logStore.compact(c.index, c.confState, c.outcome.image);
      } catch (err) {
        // Without space the log is simply not compacted yet: retried after a backoff.
        if (!(err instanceof NoSpaceError)) throw err;
        this.#retryAtMs = (this.host.nowMs?.() ?? 0) + DISK_RETRY_MS_MAX;
        for (const w of c.waiters) w.reject(err);
        return;
      }
      const index = this.host.logStore.storage.snapshot().metadata.index;
      for (const w of c.waiters) w.resolve(index);
      return;
    }
    if (!this.#due()) return;
    await this.host.drainApplies();
    this.#start();
  }

  #start(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    const index = this.host.appliedIndex();
    const snapIndex = this.host.logStore.storage.snapshot().metadata.index;
    if (index <= snapIndex) {
      for (const w of waiters) w.resolve(snapIndex); // nothing new to compact
      return;
    }
    const c: InFlight = { index, confState: this.host.confState(), waiters, outcome: undefined };
    this.#inFlight = c;
    this.appliedBytes = 0;
    Promise.resolve().then(() => this.host.image()).then(
      (image) => {
        c.outcome = { image };
        this.host.kick();
      },
      (error) => {
        c.outcome = { error };
        this.host.kick();
      },
    );
  }
}
