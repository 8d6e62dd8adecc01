/**
 * Log compaction in the multi-region driver (driver.ts): a region whose state
 * machine applied `snapshotEntries` entries (or `everyBytes` of them) since
 * its last compaction, or whose handle asked (`compactNow`), or that holds the most while the
 * node's regions together hold more than `everyBytes` (uncompacted_bytes.ts), is flushed
 * (`sm.flush`, its applied state made durable) and its log compacted up to
 * the index it had applied when the flush began; every region due compacts
 * with one `compact(map)` (one fsync).
 *
 * The flush runs beside the driver's rounds, as RaftNode's image does
 * (compaction.ts): for the server node it is the engine's memtable flush,
 * which can take a second, and rounds (heartbeats, appends) must not wait for
 * it. Every flush is called at once when the compaction starts (after the
 * driver drained its applies), so it covers exactly what was applied then;
 * the log is compacted in a later round, between saves, once they are done.
 * A full disk (the flush or the compaction) fails the waiting requests and
 * keeps the regions due, retried after a backoff on the driver's clock (at
 * once without one); any other failure propagates and halts the driver.
 */
import { assert } from "../../util/assert.ts";
import { DISK_RETRY_MS_MAX, RAFT_LOG_COMPACT_BYTES } from "../../limits.ts";
import type { MultiRaftOptions } from "./driver_options.ts";
import { NoSpaceError } from "../../util/errors.ts";
import type { CompactionMark, MultiLogStore } from "../multi_log_store.ts";
import type { RegionReplica } from "./region_replica.ts";
import { UncompactedBytes } from "./uncompacted_bytes.ts";

interface Waiter {
  resolve(index: number): void;
  reject(err: unknown): void;
}

/** A compaction whose flushes are running: its marks, regions and the requests it answers. */
interface InFlight {
  readonly marks: Map<number, CompactionMark>;
  readonly regions: Map<number, RegionReplica>;
  readonly waiters: Map<number, Waiter[]>;
  outcome: { readonly failed: boolean; readonly error?: unknown } | undefined;
}

export class RegionCompaction {
  readonly #due = new Set<number>();
  readonly #waiters = new Map<number, Waiter[]>();
  #inFlight: InFlight | undefined;
  /** After a full disk: no attempt before this time. */
  #retryAtMs = 0;
  /** Called when a compaction's flushes finished (the driver runs a round to finish it). */
  flushed: (() => void) | undefined;
  /** The node's regions' uncompacted bytes together (with `everyBytes`). */
  readonly #node: UncompactedBytes | undefined;
  /** The node's bound picked regions since the last compaction started. */
  #nodePicked = false;

  constructor(
    readonly every: number | undefined,
    readonly nowMs?: () => number,
    /** Or after this many entry bytes applied (a region's entries stay in memory until then). */
    readonly everyBytes?: number,
  ) {
    this.#node = everyBytes === undefined ? undefined : new UncompactedBytes(everyBytes);
  }

  /** The compaction a driver's options ask for (by bytes too, once by entries). */
  static of(o: MultiRaftOptions): RegionCompaction {
    const bytes = o.snapshotEntries === undefined ? undefined : RAFT_LOG_COMPACT_BYTES;
    return new RegionCompaction(
      o.snapshotEntries,
      o.clock?.nowMs.bind(o.clock),
      o.snapshotBytes ?? bytes,
    );
  }

  /** Whether `run` has something to do: finish a flushed compaction, or start one. */
  get due(): boolean {
    const f = this.#inFlight;
    if (f !== undefined) return f.outcome !== undefined;
    return this.#due.size > 0 && (this.nowMs?.() ?? 0) >= this.#retryAtMs;
  }

  /** After a region applied entries: due once past `every`. */
  check(r: RegionReplica): void {
    if (this.every !== undefined && r.appliedSinceCompaction >= this.every) this.#due.add(r.id);
    const bytes = this.everyBytes;
    if (bytes !== undefined && r.appliedBytesSinceCompaction >= bytes) this.#due.add(r.id);
    const node = this.#node;
    if (node?.note(r.id, r.appliedBytesSinceCompaction) === true && !this.#nodePicked) {
      this.#nodePicked = true;
      for (const id of node.biggest()) this.#due.add(id);
    }
  }

  /**
   * Compacts `r` at the next attempt whatever the threshold, if it applied anything since its
   * last compaction (nothing would be dropped otherwise): its entries crowd the log's oldest
   * segment (multi_log_store.ts `crowding`).
   */
  soon(r: RegionReplica): void {
    if (r.sm.flush !== undefined && r.appliedSinceCompaction > 0) this.#due.add(r.id);
  }

  /** `soon` for the regions whose entries crowd `log`'s oldest segment (its `crowding`). */
  relieve(log: MultiLogStore, region: (id: number) => RegionReplica | undefined): void {
    for (const id of log.crowding()) {
      const r = region(id);
      if (r !== undefined) this.soon(r);
    }
  }

  /** Compacts `r` at the next attempt whatever the threshold; resolves with its snapshot index. */
  request(r: RegionReplica): Promise<number> {
    assert(r.sm.flush !== undefined, "compaction needs sm.flush");
    this.#due.add(r.id);
    return new Promise<number>((resolve, reject) => {
      const list = this.#waiters.get(r.id);
      if (list === undefined) this.#waiters.set(r.id, [{ resolve, reject }]);
      else list.push({ resolve, reject });
    });
  }

  /** A region removed from the node: its requests fail. */
  forget(id: number): void {
    this.#due.delete(id);
    this.#node?.forget(id);
    const removed = new Error(`region ${id} removed`);
    for (const w of this.#waiters.get(id) ?? []) w.reject(removed);
    this.#waiters.delete(id);
    const f = this.#inFlight;
    if (f === undefined) return;
    for (const w of f.waiters.get(id) ?? []) w.reject(removed);
    f.waiters.delete(id);
    f.marks.delete(id);
    f.regions.delete(id);
  }

  /** Fails every request (the driver halted). */
  failAll(err: unknown): void {
    const lists = [...this.#waiters.values(), ...(this.#inFlight?.waiters.values() ?? [])];
    for (const list of lists) for (const w of list) w.reject(err);
    this.#waiters.clear();
    this.#inFlight?.waiters.clear();
  }

  /**
   * Between rounds (applies drained): finishes a compaction whose flushes are
   * done, or starts the flushes of the regions due.
   */
  async run(log: MultiLogStore, region: (id: number) => RegionReplica | undefined): Promise<void> {
    const f = this.#inFlight;
    if (f === undefined) return this.#start(region);
    if (f.outcome === undefined) return; // still flushing
    this.#inFlight = undefined;
    if (f.outcome.failed) return this.#failed(f, f.outcome.error);
    try {
      await log.compact(f.marks);
    } catch (err) {
      return this.#failed(f, err);
    }
    for (const r of f.regions.values()) {
      const index = r.log.snapshotMarker.index;
      for (const w of f.waiters.get(r.id) ?? []) w.resolve(index);
    }
  }

  #start(region: (id: number) => RegionReplica | undefined): void {
    if (!this.due) return;
    const f: InFlight = {
      marks: new Map(),
      regions: new Map(),
      waiters: new Map(),
      outcome: undefined,
    };
    for (const id of this.#due) {
      const r = region(id);
      if (r?.sm.flush === undefined) continue;
      const rn = r.rawNode;
      f.marks.set(id, { index: rn.appliedIndex, confState: rn.status().confState });
      f.regions.set(id, r);
      f.waiters.set(id, this.#waiters.get(id) ?? []);
      this.#waiters.delete(id);
      r.appliedSinceCompaction = 0;
      r.appliedBytesSinceCompaction = 0;
      this.#node?.note(id, 0);
    }
    this.#due.clear();
    this.#nodePicked = false;
    if (f.regions.size === 0) return;
    this.#inFlight = f;
    // Called now, in order, before any later apply reaches the state machines.
    const flushes = [...f.regions.values()].map(async (r) => {
      await r.sm.flush?.();
    });
    Promise.all(flushes).then(
      () => {
        f.outcome = { failed: false };
        this.flushed?.();
      },
      (error: unknown) => {
        f.outcome = { failed: true, error };
        this.flushed?.();
      },
    );
  }

  /** A full disk: the requests fail (as RaftNode's), the regions stay due after a backoff. */
  #failed(f: InFlight, err: unknown): void {
    if (!(err instanceof NoSpaceError)) throw err;
    if (this.nowMs !== undefined) this.#retryAtMs = this.nowMs() + DISK_RETRY_MS_MAX;
    for (const id of f.regions.keys()) this.#due.add(id);
    for (const list of f.waiters.values()) for (const w of list) w.reject(err);
  }
}
