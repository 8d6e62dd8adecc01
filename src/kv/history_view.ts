/**
 * The history one region reads and compacts (docs/regions.md "History across splits"): the
 * key index (0x04) is shared by every region of the engine and points at a change by revision
 * and sub only, into the feed of the region that wrote it. A region owns the keys of its span;
 * a version of one of them at revision r is in its own feed when r is above its nearest
 * ancestor's split revision, else in the feed of the ancestor whose generation covers r
 * (region_lineage.ts). Readers and the compactor go through this view and never look at keys
 * outside the span: another region owns those, and its revisions may be the same numbers in
 * another feed.
 */
import type { RegionKeys } from "./region_keys.ts";
import { regionKeys } from "./region_keys.ts";
import { type Ancestor, readLineage } from "./region_lineage.ts";
import { readMergeFloor } from "./region_merge_state.ts";
import { inSpan, type KeySpan, WHOLE_KEYSPACE } from "./snapshot_ranges.ts";
import type { EngineReader } from "./write_set.ts";
import { decodeHistory } from "./key_record.ts";
import { equalBytes } from "../util/bytes.ts";

/** One feed's share of a revision interval: its records in [from, to]. */
export interface FeedSegment {
  readonly feed: RegionKeys;
  readonly from: number;
  readonly to: number;
}

export class HistoryView {
  /** The region's range: it changes when the region splits or merges (region_apply.ts). */
  span: KeySpan;
  /**
   * The revision of the region's last merge, 0 for none (region_merge_state.ts): a change at or
   * below it may be an absorbed record (the newest change of an absorbed key at the merge).
   */
  mergeFloor = 0;

  constructor(
    readonly own: RegionKeys,
    span: KeySpan = WHOLE_KEYSPACE,
    readonly lineage: readonly Ancestor[] = [],
  ) {
    this.span = { start: span.start.slice(), end: span.end.slice() };
  }

  /** Whether the region owns user key `key` (reads and compacts its history). */
  owns(key: Uint8Array): boolean {
    return inSpan(this.span, key);
  }

  /** The feed holding the change at `revision` of a key this region owns. */
  feedOf(revision: number): RegionKeys {
    let feed = this.own;
    for (const a of this.lineage) {
      if (revision > a.splitRevision) break;
      feed = regionKeys(a.regionId);
    }
    return feed;
  }

  /**
   * The engine key of the record of `key`'s change at `revision`/`sub`, for a read: its
   * absorbed copy when a merge made one (at or below the merge floor), else its feed's record.
   */
  recordKey(db: EngineReader, key: Uint8Array, revision: number, sub: number): Uint8Array {
    if (revision <= this.mergeFloor) {
      const absorbed = this.own.absorbed(key, revision, sub);
      if (db.get(absorbed) !== undefined) return absorbed;
    }
    return this.#feedRecord(db, key, revision, sub);
  }

  /**
   * The feed record of `key`'s change at `revision`/`sub`. Usually in the feed the lineage names
   * for the revision; but a transaction's commit applied after a split at a commit timestamp
   * below it (region_txn_keyspace.ts: commits land at their timestamp) wrote its record in this
   * region's own feed, or an ancestor's newer than the lineage says, while the ancestor's feed may
   * hold another key's change at the same revision and sub. Below the nearest split, the record
   * is the one of the lineage's feeds that is `key`'s (the lineage's choice when none is).
   */
  #feedRecord(db: EngineReader, key: Uint8Array, revision: number, sub: number): Uint8Array {
    const feed = this.feedOf(revision);
    const expected = feed.history(revision, sub);
    if (feed === this.own) return expected;
    const isKeys = (k: Uint8Array) => {
      const raw = db.get(k);
      return raw !== undefined && equalBytes(decodeHistory(revision, raw).state.key, key);
    };
    if (isKeys(expected)) return expected;
    const feeds = [this.own, ...this.lineage.map((a) => regionKeys(a.regionId))];
    return feeds.map((f) => f.history(revision, sub)).find(isKeys) ?? expected;
  }

  /**
   * The record keys to delete with `key`'s index entry at `revision`/`sub` (the compactor). At
   * or below the merge floor a key may have been absorbed and its older changes live in a feed
   * this region does not read, where the same revision and sub may be another key's change: the
   * feed's record is deleted only when it is `key`'s (the absorbed key's old records stay, read
   * by nothing: docs/regions.md "Merge").
   */
  recordKeysToDelete(db: EngineReader, key: Uint8Array, revision: number, sub: number) {
    const feed = this.#feedRecord(db, key, revision, sub);
    if (revision > this.mergeFloor) return [feed];
    const out = [this.own.absorbed(key, revision, sub)];
    const raw = db.get(feed);
    if (raw !== undefined && equalBytes(decodeHistory(revision, raw).state.key, key)) {
      out.push(feed);
    }
    return out;
  }

  /**
   * The feeds holding the changes at revisions [from, to] of the keys this region owns, in
   * revision order, oldest ancestor first; each segment's records of other keys are skipped.
   */
  segments(from: number, to: number): FeedSegment[] {
    const out: FeedSegment[] = [];
    let high = to;
    const push = (feed: RegionKeys, low: number) => {
      const start = Math.max(from, low);
      if (start <= high) out.push({ feed, from: start, to: high });
      high = Math.min(high, low - 1);
    };
    let feed = this.own;
    for (const a of this.lineage) {
      push(feed, a.splitRevision + 1);
      feed = regionKeys(a.regionId);
    }
    push(feed, 0);
    return out.reverse();
  }
}

/** The view of region `region` over `span`, with the ancestors its lineage record names. */
export function openHistoryView(db: EngineReader, region: RegionKeys, span?: KeySpan): HistoryView {
  const view = new HistoryView(region, span, readLineage(db, region.id));
  view.mergeFloor = readMergeFloor(db, region.id);
  return view;
}
