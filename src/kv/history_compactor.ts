/**
 * Removes history the store no longer serves after `compact(C)`: for each key,
 * every change older than its newest one below C, and that one too when it is a
 * delete. Reads at revisions >= C and watches from >= C still find all they need,
 * the previous value of a change at C included (the key's state just below C).
 *
 * The work follows the history, not the whole key index: only keys changed
 * since the last physical compaction (revisions [done, C)) can hold anything
 * newly removable, so each compaction costs what was written since the last
 * one. The compacted revision is replicated; this removal is local, in the
 * background, in slices of bounded work with a timer turn between them
 * (one batch of 5,000 keys once held the event loop 0.6 s), and idempotent:
 * after a crash or an engine swap it runs again from the last finished
 * compaction (the region's local `compacted-done` record, region_keys.ts).
 */
import { HISTORY_COMPACT_BATCH } from "../limits.ts";
import { HISTORY_COMPACT_SLICE_ENTRIES } from "../limits_ops.ts";
import type { Db, WriteOp } from "../storage/db.ts";
import { equalBytes } from "../util/bytes.ts";
import { ByteReader, ByteWriter } from "../util/coding.ts";
import { ClosedError } from "../util/errors.ts";
import { ChangeType, decodeHistory, decodeIndexEntry } from "./key_record.ts";
import type { RegionKeys } from "./region_keys.ts";
import { indexKey, indexKeyEnd, parseIndexKey } from "./mvcc_keys.ts";
import { type KeyChanges, PassKeys, readBatch, type RevisionChange } from "./history_pass_keys.ts";
import type { HistoryView } from "./history_view.ts";
import type { KeySpan } from "./snapshot_ranges.ts";

/**
 * How compaction shares the event loop: it examines at most `sliceEntries` engine entries
 * (history records and key index entries) in one synchronous slice, writes that slice's
 * deletes, then awaits `pause` (a timer turn on a real node) so requests run in between.
 */
export interface CompactionPace {
  readonly sliceEntries: number;
  readonly pause: () => Promise<void>;
}

/** Without a clock (tests of the store alone): slices still bound the work, a microtask apart. */
export const MICROTASK_PACE: CompactionPace = {
  sliceEntries: HISTORY_COMPACT_SLICE_ENTRIES,
  pause: () => Promise.resolve(),
};

/** One slice's budget and deletes; `spent` closes the slice. */
class Slice {
  left: number;
  ops: WriteOp[] = [];
  /** Changes (key index entries) removed. */
  removed = 0;
  constructor(readonly entries: number) {
    this.left = entries;
  }
  get spent(): boolean {
    return this.left <= 0;
  }
  /** Removes the key's change at one revision: its index entry and history records. */
  remove(key: Uint8Array, change: RevisionChange): void {
    this.ops.push({ type: "del", key: indexKey(key, change.revision) });
    for (const record of change.records) this.ops.push({ type: "del", key: record });
    this.removed++;
  }
}

/**
 * The key's one live change older than `revision`, from the key index (a seek: the pass has
 * not seen the key yet, or could not remember it). There is at most one: the previous
 * compaction (to `from`) left live only the key's newest change below `from` (and its changes
 * at `from`, which this pass reads), and this pass has removed all but the newest of the key's
 * changes it has read so far. Its history records: the one
 * the entry names, and the key's earlier ones at that revision (a MULTI that set it twice).
 */
function liveBelow(
  db: Db,
  view: HistoryView,
  key: Uint8Array,
  revision: number,
  slice: Slice,
): RevisionChange | null {
  slice.left--;
  const end = indexKeyEnd(key);
  for (const [k, v] of db.scanSync({ start: indexKey(key, revision - 1), end, limit: 1 })) {
    const below = parseIndexKey(k).revision;
    const { type, sub } = decodeIndexEntry(v);
    const feed = view.feedOf(below);
    const records = sub === 0 ? [] : earlierRecords(db, feed, key, below, sub, slice);
    records.push(feed.history(below, sub));
    return { revision: below, type, records };
  }
  return null;
}

/** The engine keys of `key`'s history records at `revision` before number `sub`. */
function earlierRecords(
  db: Db,
  feed: RegionKeys,
  key: Uint8Array,
  revision: number,
  sub: number,
  slice: Slice,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  const range = { start: feed.historyStart(revision), end: feed.history(revision, sub) };
  for (const [k, v] of db.scanSync(range)) {
    slice.left--;
    if (equalBytes(decodeHistory(revision, v).state.key, key)) out.push(k.slice());
  }
  return out;
}

/**
 * Removes one key's changes that a batch makes unreachable, from the history records the
 * batch read (no index scan of the key's changes): every revision but its newest in the
 * batch, the live change it had before them, and the newest too when it is a delete. A
 * newest put stays and is remembered: a later batch or pass with a newer change removes it.
 */
function compactChanges(
  db: Db,
  view: HistoryView,
  changes: KeyChanges,
  keys: PassKeys,
  slice: Slice,
): void {
  const { key, text, revisions } = changes;
  let below = keys.get(text);
  // A key created by its first record here has nothing older: its earlier life ended in a
  // delete, which the pass that reached it removed (with everything before it).
  if (below === undefined) {
    below = changes.created ? null : liveBelow(db, view, key, revisions[0].revision, slice);
  }
  if (below !== null) slice.remove(key, below);
  const newest = revisions[revisions.length - 1];
  for (const change of revisions) if (change !== newest) slice.remove(key, change);
  if (newest.type === ChangeType.Delete) {
    slice.remove(key, newest);
    keys.set(text, null);
  } else {
    keys.set(text, newest);
  }
}

/**
 * Compacts the history records in [from, upTo) slice by slice (see CompactionPace).
 * Returns the number of changes removed. Idempotent: a pass cut short (the engine closed)
 * is redone from `from` by the next open. `keys`: what the pass to `from` left, when this
 * store's compactor made it (else empty); on return, what this pass left.
 */
export async function compactHistory(
  db: Db,
  view: HistoryView,
  from: number,
  upTo: number,
  pace: CompactionPace = MICROTASK_PACE,
  keys: PassKeys = new PassKeys(),
): Promise<number> {
  let removed = 0;
  let slice = new Slice(pace.sliceEntries);
  const endSlice = async () => {
    removed += slice.removed;
    if (slice.ops.length > 0) await db.write(slice.ops);
    slice = new Slice(pace.sliceEntries);
    await pace.pause();
  };
  keys.nextPass();
  let next: number | undefined = from;
  while (next !== undefined) {
    const batch = readBatch(
      db,
      view,
      next,
      upTo,
      Math.min(HISTORY_COMPACT_BATCH, pace.sliceEntries),
    );
    next = batch.next;
    slice.left -= batch.records;
    for (const changes of batch.keys.values()) {
      if (slice.spent) await endSlice();
      compactChanges(db, view, changes, keys, slice);
    }
    await endSlice();
  }
  return removed;
}

export function readCompactedDone(db: Db, region: { readonly compactedDone: Uint8Array }): number {
  const raw = db.get(region.compactedDone);
  return raw === undefined ? 0 : new ByteReader(raw).varint();
}

/** Runs compaction batches in the background; a newer request is taken up after the current. */
export class HistoryCompactor {
  #wanted = 0;
  #done: number;
  #running: Promise<void> | undefined;
  /** What the last pass left (to `#done`, over `span`), for the next. */
  #keys: { readonly span: KeySpan; readonly keys: PassKeys } | undefined;
  /** History changes removed so far (for metrics). */
  removed = 0;
  /** How the work shares the event loop; the node sets a timer-based pause (engine_holder). */
  pace: CompactionPace = MICROTASK_PACE;

  constructor(
    readonly db: Db,
    readonly view: HistoryView,
    readonly onError: (err: unknown) => void = () => {},
  ) {
    this.#done = readCompactedDone(db, view.own);
  }

  /** Compacts up to `revision` (idempotent; a later request supersedes an earlier one). */
  request(revision: number): void {
    if (revision <= this.#wanted) return;
    this.#wanted = revision;
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
  }

  /** Resolves when the current work (if any) is done. */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async #run(): Promise<void> {
    try {
      while (this.#done < this.#wanted) {
        const target = this.#wanted;
        // A split gives the region a new span: its child compacts the keys it took from here.
        const span = this.view.span;
        const keys = this.#keys?.span === span ? this.#keys.keys : new PassKeys();
        this.#keys = undefined;
        const { db, view, pace } = this;
        this.removed += await compactHistory(db, view, this.#done, target, pace, keys);
        const done = new ByteWriter(10).varint(target).finish();
        await this.db.write([{ type: "put", key: this.view.own.compactedDone, value: done }]);
        this.#done = target;
        this.#keys = { span, keys };
      }
    } catch (err) {
      // The engine closed (shutdown or swap): the next open runs it again.
      if (!(err instanceof ClosedError)) this.onError(err);
    }
  }
}
