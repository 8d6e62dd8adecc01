/**
 * Entries and a snapshot that the core has accepted but the driver has not yet
 * made durable. `entries[i]` has index `offset + i`. Once the driver persists
 * them and calls `advance`, `stableTo` drops them from here (they are then read
 * from `RaftStorage`).
 */
import { assert } from "../../util/assert.ts";
import { at, last } from "./array.ts";
import type { Entry, Snapshot } from "./messages.ts";

export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  /** First index if an unstable snapshot exists. */
  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.metadata.index;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      if (this.snapshot !== undefined && this.snapshot.metadata.index === i) {
        return this.snapshot.metadata.term;
      }
      return undefined;
    }
    const lastIndex = this.maybeLastIndex();
    if (lastIndex === undefined || i > lastIndex) return undefined;
    if (this.entries.length === 0) return this.snapshot?.metadata.term;
    return at(this.entries, i - this.offset).term;
  }

  /** Entries up to (index, term) are durable. */
  stableTo(index: number, term: number): void {
    const t = this.maybeTerm(index);
    // A newer leader may have replaced the entry meanwhile: then nothing is stable.
    if (t === undefined || t !== term || index < this.offset) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapTo(index: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === index) {
      this.snapshot = undefined;
    }
  }

  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.entries = [];
    this.snapshot = s;
  }

  /** Appends `ents`, truncating any existing suffix that they overlap. */
  truncateAndAppend(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    const fromIndex = at(ents, 0).index;
    if (fromIndex === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (fromIndex <= this.offset) {
      // Replaces everything unstable; storage's conflicting suffix is replaced
      // when the driver appends these entries.
      this.offset = fromIndex;
      this.entries = ents.slice();
    } else {
      this.entries = this.slice(this.offset, fromIndex);
      for (const e of ents) this.entries.push(e);
    }
  }

  /** Entries in [lo, hi); the range must lie inside the unstable entries. */
  slice(lo: number, hi: number): Entry[] {
    if (!(lo <= hi)) assert(false, `unstable slice ${lo} > ${hi}`); // message built only on failure
    const upper = this.offset + this.entries.length;
    // The message is built only on failure (a hot path).
    if (!(lo >= this.offset && hi <= upper)) {
      assert(false, `unstable slice [${lo},${hi}) out of bounds`);
    }
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }

  lastEntry(): Entry | undefined {
    return this.entries.length === 0 ? undefined : last(this.entries);
  }
}
