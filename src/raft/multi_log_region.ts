/**
 * One region's part of the multi-region log (multi_log_store.ts): its
 * in-memory log (`MemoryStorage`, what the core reads), its index of the
 * segments it needs (multi_log_index.ts), and `RegionLog`, the view a
 * region's driver uses in place of a whole `LogStore`.
 */
import { InvalidArgumentError } from "../util/errors.ts";
import { MULTI_LOG_REGIONS_MAX } from "../limits_ops.ts";
import type { ConfState, HardState, SnapshotMetadata } from "./core/messages.ts";
import { MemoryStorage } from "./core/storage.ts";
import type { ReplayedState } from "./log_replay.ts";
import type { PersistRequest } from "./log_store.ts";
import { RegionIndex } from "./multi_log_index.ts";

/** Snapshot images live in the engine (decision 0014 §2): the log keeps markers only. */
const NO_IMAGE = new Uint8Array(0);

/**
 * The state of a region joining a log that holds `count` regions: refuses an
 * id that is not an integer in [0, 2^53) and a region past `max`.
 */
export function newRegionState(id: number, count: number, max: number): RegionState {
  if (!Number.isSafeInteger(id) || id < 0) {
    throw new InvalidArgumentError(`region id ${id}: not an integer in [0, 2^53)`);
  }
  if (count >= max) {
    const why = `(MULTI_LOG_REGIONS_MAX = ${MULTI_LOG_REGIONS_MAX})`;
    throw new InvalidArgumentError(`this node's Raft log holds ${max} regions ${why}`);
  }
  return new RegionState();
}

export class RegionState {
  readonly storage = new MemoryStorage();
  readonly index: RegionIndex;

  constructor(index = new RegionIndex()) {
    this.index = index;
  }

  static fromReplay(state: ReplayedState, index: RegionIndex): RegionState {
    const st = new RegionState(index);
    const s = st.storage;
    if (state.snapshot.index > 0) s.applySnapshot({ metadata: state.snapshot, data: NO_IMAGE });
    s.append(state.entries.filter((e) => e.index > state.snapshot.index));
    s.setHardState(state.hardState);
    s.confState = state.confState;
    return st;
  }

  get snapIndex(): number {
    return this.storage.snapshot().metadata.index;
  }

  /** A save's records are durable in segment `seq`: memory and index follow. */
  applySave(req: PersistRequest, seq: number): void {
    const snap = req.snapshot;
    if (snap !== undefined && snap.metadata.index > this.snapIndex) {
      // A snapshot received from the leader replaces the log.
      this.storage.applySnapshot({ metadata: snap.metadata, data: NO_IMAGE });
      this.index.noteInstall(seq);
    }
    const last = req.entries[req.entries.length - 1];
    if (last !== undefined) {
      this.storage.append(req.entries);
      this.index.noteEntries(seq, last.index);
    }
    if (req.hardState !== undefined) {
      this.storage.setHardState(req.hardState);
      this.index.hardStateSeq = seq;
    }
  }

  /** A compaction marker is durable in segment `seq`. */
  applyCompaction(meta: SnapshotMetadata, seq: number): void {
    this.storage.createSnapshot(meta.index, meta.confState, NO_IMAGE);
    this.storage.compact(meta.index);
    this.index.markerSeq = seq;
    this.index.dropCovered(meta.index);
  }
}

/** What a view asks of the store it belongs to. */
export interface RegionLogHost {
  save(requests: ReadonlyMap<number, PersistRequest>): Promise<void>;
  setConfState(id: number, cs: ConfState): void;
  compact(marks: ReadonlyMap<number, { index: number; confState: ConfState }>): Promise<void>;
}

/**
 * A region's view of the shared log, with the surface the driver uses from
 * `LogStore`. A driver round over many regions should call the store's
 * `save(map)` once instead of each view's `save` (one fsync for all).
 */
export class RegionLog {
  readonly #host: RegionLogHost;
  readonly id: number;
  #state: RegionState | undefined;

  constructor(host: RegionLogHost, id: number, state: RegionState) {
    this.#host = host;
    this.id = id;
    this.#state = state;
  }

  #live(): RegionState {
    if (this.#state === undefined) throw new Error(`region ${this.id} was removed from the log`);
    return this.#state;
  }

  /** The in-memory log the region's core reads. */
  get storage(): MemoryStorage {
    return this.#live().storage;
  }

  get hardState(): HardState {
    return this.storage.hardState;
  }

  get confState(): ConfState {
    return this.storage.confState;
  }

  /** The latest snapshot marker (index, term, configuration); index 0 if none. */
  get snapshotMarker(): SnapshotMetadata {
    return this.storage.snapshot().metadata;
  }

  firstIndex(): number {
    return this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.storage.lastIndex();
  }

  /** Persists this region's Ready alone (its own fsync). */
  save(req: PersistRequest): Promise<void> {
    this.#live();
    return this.#host.save(new Map([[this.id, req]]));
  }

  setConfState(cs: ConfState): void {
    this.#live();
    this.#host.setConfState(this.id, cs);
  }

  /** Compacts this region's log up to `index` (applied, and durable in the engine). */
  compact(index: number, confState: ConfState): Promise<void> {
    this.#live();
    return this.#host.compact(new Map([[this.id, { index, confState }]]));
  }

  /** The region was removed from the store: every later use throws. */
  detach(): void {
    this.#state = undefined;
  }
}
