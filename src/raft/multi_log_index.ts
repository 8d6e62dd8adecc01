/**
 * Which segment files of the multi-region log (multi_log_store.ts) each
 * region still needs, and from that, which files can be deleted.
 *
 * A region needs the segment holding its latest hard state record, the one
 * holding its latest conf state record, the one holding its latest snapshot
 * marker, and every segment holding an entry above its snapshot index. Of
 * these only the OLDEST matters: segments are deleted oldest first (a prefix
 * of the log), so a region that needs segment s keeps s and every later one.
 * Deleting only prefixes also keeps replay right where a later record
 * overrides an earlier one (a conflicting suffix, a snapshot installed over
 * the log, a removed region): the overriding record is never older than what
 * it overrides, so it never disappears while that survives.
 *
 * `SegmentPins` keeps, per segment, the set of regions whose oldest needed
 * segment it is ("pins"): each region is in exactly one set, updates are O(1),
 * and the oldest segment can go once its set is empty.
 */

/** No record of this kind is needed (the region never wrote one). */
export const NOT_NEEDED = Infinity;

/** A segment holding some of a region's entries, and the highest index it holds. */
export interface EntrySegment {
  readonly seq: number;
  maxIndex: number;
}

/** What one region needs from the segment files. */
export class RegionIndex {
  hardStateSeq = NOT_NEEDED;
  confStateSeq = NOT_NEEDED;
  markerSeq = NOT_NEEDED;
  /** Segments with entries of this region, oldest first (at most one per segment). */
  readonly entrySegments: EntrySegment[] = [];
  /** The segment this region pins (`SegmentPins`), or NOT_NEEDED. */
  pinned = NOT_NEEDED;

  noteEntries(seq: number, lastIndex: number): void {
    const tail = this.entrySegments[this.entrySegments.length - 1];
    if (tail !== undefined && tail.seq === seq) tail.maxIndex = Math.max(tail.maxIndex, lastIndex);
    else this.entrySegments.push({ seq, maxIndex: lastIndex });
  }

  /** A snapshot from the leader replaced the log: no earlier entry is needed. */
  noteInstall(seq: number): void {
    this.markerSeq = seq;
    this.entrySegments.length = 0;
  }

  /** Entries up to `snapIndex` are covered by the snapshot. */
  dropCovered(snapIndex: number): void {
    let n = 0;
    while (n < this.entrySegments.length && this.entrySegments[n].maxIndex <= snapIndex) n++;
    if (n > 0) this.entrySegments.splice(0, n);
  }

  /**
   * Everything the region needs is now in segment `seq` (its records were
   * copied there); `lastIndex` is its last entry, or its snapshot index if none.
   */
  moveAllTo(seq: number, lastIndex: number, snapIndex: number): void {
    if (this.hardStateSeq !== NOT_NEEDED) this.hardStateSeq = seq;
    if (this.confStateSeq !== NOT_NEEDED) this.confStateSeq = seq;
    if (this.markerSeq !== NOT_NEEDED) this.markerSeq = seq;
    this.entrySegments.length = 0;
    if (lastIndex > snapIndex) this.entrySegments.push({ seq, maxIndex: lastIndex });
  }

  /** The oldest segment this region needs. */
  oldestNeeded(): number {
    return Math.min(
      this.hardStateSeq,
      this.confStateSeq,
      this.markerSeq,
      this.entrySegments[0]?.seq ?? NOT_NEEDED,
    );
  }
}

export class SegmentPins {
  readonly #bySeq = new Map<number, Set<number>>();

  /** Moves `region`'s pin to the oldest segment its index says it needs. */
  update(region: number, index: RegionIndex): void {
    const seq = index.oldestNeeded();
    if (seq === index.pinned) return;
    this.release(region, index);
    if (seq === NOT_NEEDED) return;
    let set = this.#bySeq.get(seq);
    if (set === undefined) this.#bySeq.set(seq, set = new Set());
    set.add(region);
    index.pinned = seq;
  }

  /** The region needs nothing any more (removed). */
  release(region: number, index: RegionIndex): void {
    const set = this.#bySeq.get(index.pinned);
    if (set !== undefined) {
      set.delete(region);
      if (set.size === 0) this.#bySeq.delete(index.pinned);
    }
    index.pinned = NOT_NEEDED;
  }

  /** Regions whose oldest needed segment is `seq`. */
  pinnedBy(seq: number): ReadonlySet<number> {
    return this.#bySeq.get(seq) ?? new Set();
  }
}
