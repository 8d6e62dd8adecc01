/**
 * The read side of stable storage as the core sees it, plus an in-memory
 * implementation. Everything here is synchronous: durable implementations
 * (src/raft/log_store.ts) keep a `MemoryStorage` as their in-memory view and
 * write to disk in the driver, before calling `RawNode.advance`.
 */
import { assert } from "../../util/assert.ts";
import { at, last } from "./array.ts";
import {
  type ConfState,
  EMPTY_CONF_STATE,
  EMPTY_HARD_STATE,
  type Entry,
  EntryType,
  type HardState,
  limitSize,
  type Snapshot,
} from "./messages.ts";

export interface InitialState {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

/**
 * Stable storage. Entries returned are shared and must not be mutated. The core
 * only asks for indexes in range: `firstIndex() - 1 <= i <= lastIndex()` for
 * `term`, `firstIndex() <= lo < hi <= lastIndex() + 1` for `entries`.
 */
export interface RaftStorage {
  initialState(): InitialState;
  /** Entries in [lo, hi), at most `maxBytes` in total but at least one. */
  entries(lo: number, hi: number, maxBytes: number): readonly Entry[];
  term(index: number): number;
  /** Index of the first entry still in the log (snapshot index + 1). */
  firstIndex(): number;
  lastIndex(): number;
  /** The most recent snapshot. */
  snapshot(): Snapshot;
}

/**
 * Storage for a brand-new member of a cluster whose initial configuration is
 * `confState`: the log starts with a snapshot at index `index` (term 1), so
 * every initial member agrees on the same starting point.
 */
export function bootstrapStorage(confState: ConfState, index = 1): MemoryStorage {
  const s = new MemoryStorage();
  s.applySnapshot({ metadata: { index, term: 1, confState }, data: new Uint8Array(0) });
  s.setHardState({ term: 1, vote: 0, commit: index });
  return s;
}

/**
 * An in-memory log. `ents[0]` is a dummy entry holding the index and term of the
 * latest snapshot, so `term(firstIndex() - 1)` is always answerable.
 */
export class MemoryStorage implements RaftStorage {
  hardState: HardState = EMPTY_HARD_STATE;
  /** Configuration as of the last applied conf change (or the snapshot's). */
  confState: ConfState = EMPTY_CONF_STATE;
  #snapshot: Snapshot;
  #ents: Entry[];

  constructor() {
    this.#snapshot = {
      metadata: { index: 0, term: 0, confState: EMPTY_CONF_STATE },
      data: new Uint8Array(0),
    };
    this.#ents = [{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(0) }];
  }

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  #offset(): number {
    return at(this.#ents, 0).index;
  }

  firstIndex(): number {
    return this.#offset() + 1;
  }

  lastIndex(): number {
    return last(this.#ents).index;
  }

  term(index: number): number {
    const off = this.#offset();
    // The message is built only on failure (a hot path).
    if (!(index >= off && index <= this.lastIndex())) assert(false, `term(${index}) out of range`);
    return at(this.#ents, index - off).term;
  }

  entries(lo: number, hi: number, maxBytes: number): readonly Entry[] {
    const off = this.#offset();
    // The message is built only on failure (a hot path).
    if (!(lo > off && lo < hi && hi <= this.lastIndex() + 1)) {
      assert(false, `entries(${lo}, ${hi})`);
    }
    return limitSize(this.#ents.slice(lo - off, hi - off), maxBytes);
  }

  snapshot(): Snapshot {
    return this.#snapshot;
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    const m = snap.metadata;
    if (m.index <= this.#snapshot.metadata.index) return; // older than ours: ignore
    this.#snapshot = snap;
    this.confState = m.confState;
    this.#ents = [{
      term: m.term,
      index: m.index,
      type: EntryType.Normal,
      data: new Uint8Array(0),
    }];
  }

  /** Records a snapshot of the state machine at `index` (which must be applied). */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.#snapshot.metadata.index) return this.#snapshot;
    assert(index <= this.lastIndex(), `snapshot ${index} beyond last index`);
    const term = this.term(index);
    this.#snapshot = { metadata: { index, term, confState }, data };
    return this.#snapshot;
  }

  /** Discards entries before `compactIndex`; they must be covered by a snapshot. */
  compact(compactIndex: number): void {
    const off = this.#offset();
    if (compactIndex <= off) return;
    assert(compactIndex <= this.lastIndex(), `compact ${compactIndex} beyond last index`);
    const head = at(this.#ents, compactIndex - off);
    const dummy: Entry = {
      term: head.term,
      index: head.index,
      type: EntryType.Normal,
      data: new Uint8Array(0),
    };
    this.#ents = [dummy, ...this.#ents.slice(compactIndex - off + 1)];
  }

  /**
   * Appends entries, replacing any existing suffix they conflict with. Entries
   * already covered by the snapshot are skipped.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const lastNew = last(entries).index;
    if (lastNew < first) return;
    let ents = entries;
    if (first > at(ents, 0).index) ents = ents.slice(first - at(ents, 0).index);
    const start = at(ents, 0).index;
    assert(start <= this.lastIndex() + 1, `append gap: ${start} after ${this.lastIndex()}`);
    const keep = start - this.#offset();
    this.#ents.length = keep; // truncate the conflicting suffix
    for (const e of ents) this.#ents.push(e);
  }
}
