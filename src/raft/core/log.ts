/**
 * The Raft log as the core sees it: stable entries in `RaftStorage` followed by
 * unstable ones not yet persisted.
 *
 * Invariants: applied <= applying <= committed <= lastIndex(), and
 * firstIndex() - 1 <= applied (entries below the first index are in a snapshot,
 * which the state machine restores before applying later entries).
 */
import { assert } from "../../util/assert.ts";
import { at } from "./array.ts";
import { type Entry, limitSize, type Snapshot } from "./messages.ts";
import type { RaftStorage } from "./storage.ts";
import { Unstable } from "./log_unstable.ts";

/** Most bytes of committed entries handed out in one Ready. */
const APPLY_BATCH_BYTES_MAX = 64 * 1024 * 1024;

export class RaftLog {
  readonly storage: RaftStorage;
  readonly unstable: Unstable;
  /** Highest index known to be committed on a quorum. */
  committed: number;
  /** Highest index handed to the application to apply. */
  applying: number;
  /** Highest index the application has applied. */
  applied: number;

  constructor(storage: RaftStorage) {
    this.storage = storage;
    const first = storage.firstIndex();
    const lastIdx = storage.lastIndex();
    this.unstable = new Unstable(lastIdx + 1);
    this.committed = first - 1;
    this.applying = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** Term of entry `i`, or undefined when it is compacted away or beyond the log. */
  term(i: number): number | undefined {
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return undefined;
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    if (i < this.storage.firstIndex() - 1 || i > this.storage.lastIndex()) return undefined;
    return this.storage.term(i);
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    assert(t !== undefined, "last term must be known");
    return t;
  }

  matchTerm(i: number, term: number): boolean {
    return this.term(i) === term;
  }

  /** Candidate with (lastIndex, term) is at least as up to date as us (§5.4.1). */
  isCurrentLog(lastIndex: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Follower side of AppendEntries: if our log has (index, logTerm), append the
   * entries (dropping any conflicting suffix) and return the last new index.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]):
    | number
    | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      assert(ci > this.committed, `conflict at ${ci} with committed ${this.committed}`);
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = at(ents, 0).index - 1;
    assert(after >= this.committed, `append after ${after} below committed ${this.committed}`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * Index of the first entry in `ents` whose term differs from ours or that
   * we do not have; 0 when every entry is already present.
   */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term`, with that term. Used
   * for fast backtracking: entries after it cannot match the other log.
   */
  findConflictByTerm(index: number, term: number): [number, number] {
    let i = Math.min(index, this.lastIndex());
    for (;;) {
      const t = this.term(i);
      if (t === undefined) return [i, 0];
      if (t <= term) return [i, t];
      i--;
    }
  }

  unstableEntries(): readonly Entry[] {
    return this.unstable.entries;
  }

  hasNextCommittedEnts(): boolean {
    if (this.unstable.snapshot !== undefined) return false; // restore the snapshot first
    const lo = Math.max(this.applying + 1, this.firstIndex());
    return this.committed >= lo;
  }

  nextCommittedEnts(): readonly Entry[] {
    if (!this.hasNextCommittedEnts()) return [];
    const lo = Math.max(this.applying + 1, this.firstIndex());
    const ents = this.slice(lo, this.committed + 1, APPLY_BATCH_BYTES_MAX);
    assert(ents !== undefined, "committed entries must be available");
    return ents;
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  commitTo(to: number): void {
    if (to <= this.committed) return; // never decrease
    // The message is built only on failure (a hot path).
    if (!(to <= this.lastIndex())) {
      assert(false, `commit ${to} beyond last index ${this.lastIndex()}`);
    }
    this.committed = to;
  }

  acceptApplying(index: number): void {
    // The message is built only on failure (a hot path).
    if (!(index <= this.committed && index >= this.applying)) assert(false, `applying ${index}`);
    this.applying = index;
  }

  appliedTo(index: number): void {
    if (index === 0) return;
    // The message is built only on failure (a hot path).
    if (!(index <= this.committed && index >= this.applied)) assert(false, `applied ${index}`);
    this.applied = index;
    if (this.applying < index) this.applying = index;
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  /**
   * The last index of the prefix the driver has persisted: the log below the
   * unstable entries (while a snapshot is unstable, only storage's own snapshot
   * index: its later entries may be replaced).
   */
  durableLastIndex(): number {
    if (this.unstable.snapshot !== undefined) return this.storage.firstIndex() - 1;
    return Math.min(this.lastIndex(), this.unstable.offset - 1);
  }

  stableSnapTo(index: number): void {
    this.unstable.stableSnapTo(index);
  }

  /** Leader: commit up to `maxIndex` if that entry is from the current term (§5.4.2). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.term(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.applying = s.metadata.index;
    this.applied = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Entries from `i` to the end, limited to `maxBytes`; undefined if compacted. */
  entriesFrom(i: number, maxBytes: number): readonly Entry[] | undefined {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxBytes);
  }

  /** Entries in [lo, hi) limited to `maxBytes`; undefined if `lo` is compacted. */
  slice(lo: number, hi: number, maxBytes: number): readonly Entry[] | undefined {
    // The message is built only on failure (a hot path).
    if (!(lo <= hi && hi <= this.lastIndex() + 1)) assert(false, `slice [${lo}, ${hi})`);
    if (lo < this.firstIndex()) return undefined;
    if (lo === hi) return [];
    const off = this.unstable.offset;
    let ents: Entry[] = [];
    if (lo < off) {
      const stored = this.storage.entries(lo, Math.min(hi, off), maxBytes);
      if (stored.length < Math.min(hi, off) - lo) return stored; // hit the size limit
      ents = stored.slice();
    }
    if (hi > off) {
      for (const e of this.unstable.slice(Math.max(lo, off), hi)) ents.push(e);
    }
    return limitSize(ents, maxBytes);
  }

  /** All entries, for tests and debugging. */
  allEntries(): readonly Entry[] {
    return this.slice(this.firstIndex(), this.lastIndex() + 1, Number.MAX_SAFE_INTEGER) ?? [];
  }
}
