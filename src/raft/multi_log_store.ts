/**
 * One durable Raft log shared by every region (Raft group) of a node (decisions/0014-regions.md §3;
 * layout and rules in docs/raft.md "Multi-region log"). Segment files of the shared record format,
 * as the single-group log (log_store.ts) writes them; each record is tagged with its region id
 * (multi_log_codec.ts).
 *
 * - `open` replays every segment once and hands each region its state.
 *   `group(id)` is a region's view: its `MemoryStorage` for the core, hard
 *   state, snapshot marker, first and last index.
 * - `save(requests)` appends every region's records of one driver round, then
 *   issues ONE fsync for all of them.
 * - `compact(marks)` moves regions' first index up (one fsync for all);
 *   `remove(ids)` forgets regions (merged away or moved off this node).
 *   Snapshot images are not stored here: a region's image is its key range of
 *   the node's engine (decision 0014 §2), so the log keeps snapshot MARKERS
 *   (index, term, configuration) only, and a view's `snapshot()` has no data.
 * - A segment file is deleted once no region needs any record in it (multi_log_index.ts: each
 *   region pins the oldest segment it needs; segments go oldest first). Past
 *   MULTI_LOG_SEGMENTS_KEPT files, the regions pinning the oldest one have their live records
 *   copied forward (multi_log_upkeep.ts), so an idle region cannot keep old files forever; one
 *   with many entries there is compacted instead (`crowding`).
 * - Failures as in log_store.ts: a torn tail of the last segment is cut on
 *   replay, damage elsewhere is a CorruptionError; a NoSpaceError cuts the
 *   segment back to its last fsynced offset and changes nothing in memory
 *   (decisions/0005); any other failed write or fsync is sticky.
 */
import { assert } from "../util/assert.ts";
import { ClosedError, errorMessage, NoSpaceError } from "../util/errors.ts";
import type { FileSystem } from "../platform/types.ts";
import type { ConfState, SnapshotMetadata } from "./core/messages.ts";
import { type LogRecord, LogRecordKind } from "./log_codec.ts";
import type { PersistRequest } from "./log_store.ts";
import { checkPersistRequest } from "./persist_check.ts";
import { SegmentPins } from "./multi_log_index.ts";
import { replayMultiLog } from "./multi_log_replay.ts";
import { type MultiLogOptions, MultiLogUpkeep } from "./multi_log_upkeep.ts";
import { newRegionState, RegionLog, RegionState } from "./multi_log_region.ts";

export type { MultiLogOptions };
export { RegionLog };

/** A region's log compaction: its entries up to `index` are in the engine's image. */
export interface CompactionMark {
  readonly index: number;
  readonly confState: ConfState;
}

export class MultiLogStore {
  readonly #regions: Map<number, RegionState>;
  readonly #views = new Map<number, RegionLog>();
  readonly #pins: SegmentPins;
  readonly #upkeep: MultiLogUpkeep;
  #failed: Error | undefined = undefined;

  private constructor(regions: Map<number, RegionState>, pins: SegmentPins, up: MultiLogUpkeep) {
    this.#regions = regions;
    this.#pins = pins;
    this.#upkeep = up;
  }

  /** Opens (creating if needed) the log in `dir`, replaying every segment once. */
  static async open(
    fs: FileSystem,
    dir: string,
    opts: MultiLogOptions = {},
  ): Promise<MultiLogStore> {
    fs.mkdir(dir);
    const replayed = await replayMultiLog(fs, dir);
    const regions = new Map<number, RegionState>();
    const pins = new SegmentPins();
    for (const [id, r] of replayed.regions) {
      const st = RegionState.fromReplay(r.state, r.index);
      regions.set(id, st);
      pins.update(id, st.index);
    }
    const upkeep = await MultiLogUpkeep.open(fs, dir, opts, replayed.seqs, regions, pins);
    return new MultiLogStore(regions, pins, upkeep);
  }

  /**
   * The view of region `id`; a region not in the log starts empty (nothing is
   * written until its first save). Throws InvalidArgumentError past
   * MULTI_LOG_REGIONS_MAX regions.
   */
  group(id: number): RegionLog {
    this.#check();
    let view = this.#views.get(id);
    if (view === undefined) {
      view = new RegionLog(this, id, this.#state(id));
      this.#views.set(id, view);
    }
    return view;
  }

  #state(id: number): RegionState {
    let st = this.#regions.get(id);
    if (st === undefined) {
      st = this.#newRegion(id, 0);
      this.#regions.set(id, st);
    }
    return st;
  }

  /** A region not in the log yet, with `adding` others being added alongside it. */
  #newRegion(id: number, adding: number): RegionState {
    return newRegionState(id, this.#regions.size + adding, this.#upkeep.regionsMax);
  }

  /** Regions the log holds (saved or viewed), in no particular order. */
  regionIds(): number[] {
    return [...this.#regions.keys()];
  }

  #check(): void {
    if (this.#failed !== undefined) {
      throw new ClosedError(`raft log failed earlier: ${errorMessage(this.#failed)}`);
    }
  }

  /**
   * Persists one driver round: every region's snapshot marker, entries and hard state, then one
   * fsync if any region needs one (a new term, vote, entries or snapshot). On failure memory is
   * unchanged. `blocking`: fsync on this thread if it can (File.syncNow; round_state.ts: when).
   */
  async save(requests: ReadonlyMap<number, PersistRequest>, blocking = false): Promise<void> {
    this.#check();
    // A bad region id or one region too many is refused before anything (not sticky).
    // New regions join the map only once their first save is durable.
    const states = new Map<number, RegionState>();
    let adding = 0;
    for (const id of requests.keys()) {
      states.set(id, this.#regions.get(id) ?? this.#newRegion(id, adding++));
    }
    await this.#sticky(() => this.#save(requests, states, blocking));
  }

  async #save(
    requests: ReadonlyMap<number, PersistRequest>,
    states: ReadonlyMap<number, RegionState>,
    blocking: boolean,
  ): Promise<void> {
    for (const [id, req] of requests) {
      const s = states.get(id)?.storage;
      assert(s !== undefined, "state looked up by save");
      checkPersistRequest(req, { lastIndex: s.lastIndex(), hardState: s.hardState });
    }
    // No await unless a roll is due: the fsync is issued before the apply the
    // round queued gets the thread (a follower's acknowledgement waits for it).
    if (this.#upkeep.rollPending) await this.#upkeep.rollIfPending();
    let sync = false;
    for (const [region, req] of requests) {
      const snap = req.snapshot;
      const recs: LogRecord[] = [];
      if (snap !== undefined) {
        recs.push({ kind: LogRecordKind.SnapshotInstall, metadata: snap.metadata });
      }
      if (req.entries.length > 0) recs.push({ kind: LogRecordKind.Entries, entries: req.entries });
      const hardState = req.hardState;
      if (hardState !== undefined) recs.push({ kind: LogRecordKind.HardState, hardState });
      this.#upkeep.record(region, recs);
      sync ||= req.mustSync || req.entries.length > 0 || snap !== undefined;
    }
    await this.#upkeep.write(sync, blocking);
    const seq = this.#upkeep.currentSeq;
    for (const [id, req] of requests) {
      const st = states.get(id);
      assert(st !== undefined, "state looked up above");
      st.applySave(req, seq);
      this.#regions.set(id, st);
      this.#pins.update(id, st.index);
      if (!sync) this.#upkeep.unsynced.add(id);
    }
    await this.#maintain();
  }

  /** Records a region's configuration after the driver applied a conf change. */
  setConfState(id: number, cs: ConfState): void {
    this.#check();
    const st = this.#state(id);
    st.storage.confState = cs;
    st.index.confStateSeq = this.#upkeep.currentSeq;
    this.#pins.update(id, st.index);
    // Written with the next save and made durable by its sync.
    this.#upkeep.record(id, [{ kind: LogRecordKind.ConfState, confState: cs }]);
    this.#upkeep.unsynced.add(id);
  }

  /**
   * Compacts regions' logs: each region's entries up to its mark's index
   * (applied, and durable in the engine) are dropped. One fsync for all.
   */
  async compact(marks: ReadonlyMap<number, CompactionMark>): Promise<void> {
    this.#check();
    await this.#sticky(() => this.#compact(marks));
  }

  async #compact(marks: ReadonlyMap<number, CompactionMark>): Promise<void> {
    await this.#upkeep.rollIfPending();
    const done: [number, RegionState, SnapshotMetadata][] = [];
    for (const [id, mark] of marks) {
      const st = this.#regions.get(id);
      if (st === undefined || mark.index <= st.snapIndex) continue;
      const s = st.storage;
      assert(mark.index <= s.hardState.commit, `compact ${mark.index} beyond commit`);
      const meta = { index: mark.index, term: s.term(mark.index), confState: mark.confState };
      this.#upkeep.record(id, [{ kind: LogRecordKind.Snapshot, metadata: meta }]);
      done.push([id, st, meta]);
    }
    if (done.length === 0) return;
    await this.#upkeep.write(true, false);
    const seq = this.#upkeep.currentSeq;
    for (const [id, st, meta] of done) {
      st.applyCompaction(meta, seq);
      this.#pins.update(id, st.index);
    }
    await this.#maintain();
  }

  /** Forgets regions (merged away or moved off this node) durably; their files can go. */
  async remove(ids: Iterable<number>): Promise<void> {
    this.#check();
    await this.#sticky(async () => {
      await this.#upkeep.rollIfPending();
      const gone = [...new Set(ids)].filter((id) => this.#regions.has(id));
      for (const region of gone) {
        this.#upkeep.recordRemoved(region);
      }
      if (gone.length === 0) return;
      await this.#upkeep.write(true, false);
      for (const id of gone) {
        const st = this.#regions.get(id);
        if (st !== undefined) this.#pins.release(id, st.index);
        this.#regions.delete(id);
        this.#views.get(id)?.detach();
        this.#views.delete(id);
      }
      await this.#maintain();
    });
  }

  /** Rolls, copies forward and deletes segments; a full disk there is retried later. */
  async #maintain(): Promise<void> {
    try {
      await this.#upkeep.maintain();
    } catch (err) {
      if (!(err instanceof NoSpaceError)) throw err;
      await this.#tryRewind();
    }
  }

  /**
   * Runs a write. A full disk rewinds the segment to its last fsynced offset
   * and rethrows (retryable); any other failure, or a failed rewind, makes the
   * store fail for good: the tail of the log is in an unknown state.
   */
  async #sticky(fn: () => Promise<void>): Promise<void> {
    try {
      if (this.#upkeep.tailDirty) await this.#upkeep.rewind();
      await fn();
    } catch (err) {
      if (err instanceof NoSpaceError) {
        await this.#tryRewind();
        throw err;
      }
      this.#failed ??= err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  }

  /** Cuts the tail back now if it can (frees the space at once); else before the next write. */
  async #tryRewind(): Promise<void> {
    this.#upkeep.tailDirty = true;
    try {
      await this.#upkeep.rewind();
    } catch (err) {
      if (!(err instanceof NoSpaceError)) {
        this.#failed ??= err instanceof Error ? err : new Error(String(err));
      }
    }
  }

  /** Regions to compact rather than copy forward (multi_log_upkeep.ts `crowding`). */
  crowding(): readonly number[] {
    return this.#upkeep.crowding();
  }

  /** Segment files on disk (for tests and metrics). */
  get segmentCount(): number {
    return this.#upkeep.segmentCount;
  }

  /** Segment fsyncs completed (for metrics; directory syncs not counted). */
  get syncs(): number {
    return this.#upkeep.syncs;
  }

  close(): void {
    this.#upkeep.tail.close();
  }
}
