/**
 * Removes history the store no longer serves after `compact(C)`: for each key,
 * every change older than the newest one at or below C, and that one too when
 * it is a delete below C. Reads at revisions >= C and watches from >= C still find all
 * they need.
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
import { compareBytes } from "../util/bytes.ts";
import { ByteReader, ByteWriter } from "../util/coding.ts";
import { ClosedError } from "../util/errors.ts";
import { ChangeType, decodeHistory, decodeIndexEntry } from "./key_record.ts";
import { indexKey, indexKeyEnd, parseIndexKey } from "./mvcc_keys.ts";
import { FinishedKeys } from "./history_finished_keys.ts";
import type { HistoryView } from "./history_view.ts";

function textOf(key: Uint8Array): string {
  let s = "";
  for (let i = 0; i < key.length; i++) s += String.fromCharCode(key[i]);
  return s;
}

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
  constructor(readonly entries: number) {
    this.left = entries;
  }
  get spent(): boolean {
    return this.left <= 0;
  }
}

/** Where one key's compaction resumes: the next index entry, and whether its kept one is seen. */
interface KeyCursor {
  readonly start: Uint8Array;
  readonly settled: boolean;
}

/**
 * Removes what compaction to `upTo` makes unreachable for one key, from `at`, until the
 * slice is spent. Returns where to go on, or undefined when the key is done. Index entries
 * below `upTo` change only here (new ones sort before `indexKey(key, upTo)`), so a cursor
 * stays valid across the pause between slices.
 *
 * The last compaction (to `done`) left at most one live entry at or below `done`, the newest,
 * and tombstones for every older one. So the key is read in two bounded scans: its changes in
 * (done, upTo], which end at `indexKey(key, done)`, then that one entry (a scan of limit 1).
 * One scan to the key's end would stop handing out entries after the kept one, but the
 * engine reads ahead (up to a batch of live entries) and so stepped over the tombstones of
 * the key's whole compacted past on every pass: each pass cost more than the one before
 * until an engine compaction dropped them (issue 14: puts on 1,000 hot keys slowed by a
 * third within a minute of auto-compaction).
 */
function compactKey(
  db: Db,
  view: HistoryView,
  key: Uint8Array,
  range: { readonly done: number; readonly upTo: number },
  at: KeyCursor,
  slice: Slice,
): KeyCursor | undefined {
  const { done, upTo } = range;
  const doneKey = indexKey(key, done);
  let settled = at.settled;
  const examine = (k: Uint8Array, v: Uint8Array): void => {
    slice.left--;
    const entry = decodeIndexEntry(v);
    const revision = parseIndexKey(k).revision;
    // The newest change at or below C stays: a change at C is an event a watch from C
    // delivers; an older put is the key's state at C (an older delete says nothing).
    const keep = !settled && (revision === upTo || entry.type === ChangeType.Put);
    settled = true;
    if (!keep) {
      slice.ops.push({ type: "del", key: k.slice() });
      for (const record of view.recordKeysToDelete(db, key, revision, entry.sub)) {
        slice.ops.push({ type: "del", key: record });
      }
    }
  };
  if (compareBytes(at.start, doneKey) < 0) {
    for (const [k, v] of db.scanSync({ start: at.start, end: doneKey })) {
      if (slice.spent) return { start: k.slice(), settled };
      examine(k, v);
    }
  }
  if (slice.spent) return { start: doneKey, settled };
  const start = compareBytes(at.start, doneKey) < 0 ? doneKey : at.start;
  for (const [k, v] of db.scanSync({ start, end: indexKeyEnd(key), limit: 1 })) examine(k, v);
  return undefined;
}

/** A key met in one pass over history records: its first record, and how many it had. */
interface Changed {
  readonly key: Uint8Array;
  readonly text: string;
  /** The first record created the key (a put of version 1): nothing of it is older. */
  readonly created: boolean;
  records: number;
}

/**
 * The keys whose index needs a look, from up to `batch` history records from revision `from`
 * (below `upTo`), stopping only between revisions so a revision is never half examined.
 * `next` is the revision the next pass starts at, or undefined when every record below `upTo`
 * was covered. Only the region's own keys count (history_view.ts): another region compacts
 * the rest of a feed it shares, by its own compaction point; below a split the records are
 * in the ancestors' feeds, walked in revision order.
 *
 * A key whose only record in the pass created it is left out: the last compaction left nothing
 * of it below `from`, an older incarnation inside [from, upTo) had its own record in an earlier
 * pass (which looked at every entry up to `upTo`), and a newer record is looked at by its own
 * pass. Keys written once (random keys) so cost no index seek at all.
 */
function changedKeys(
  db: Db,
  view: HistoryView,
  from: number,
  upTo: number,
  batch: number,
  finished: FinishedKeys,
): { keys: Changed[]; records: number; next: number | undefined } {
  const found = new Map<string, Changed>();
  let records = 0, open = -1, next: number | undefined;
  segments: for (const { feed, from: low, to } of view.segments(from, upTo - 1)) {
    for (const [k, v] of db.scanSync({ start: feed.historyStart(low), end: feed.historyEnd })) {
      const revision = feed.parseHistory(k).revision;
      if (revision > to) break;
      if (revision !== open && records >= batch) {
        next = revision;
        break segments;
      }
      open = revision;
      records++;
      const { type, state } = decodeHistory(revision, v);
      if (!view.owns(state.key)) continue;
      noteChange(found, revision, type, state);
    }
  }
  const keys: Changed[] = [];
  for (const c of found.values()) {
    if (!(c.created && c.records === 1) && !finished.has(c.text)) keys.push(c);
  }
  return { keys, records, next };
}

function noteChange(
  found: Map<string, Changed>,
  revision: number,
  type: ChangeType,
  state: { readonly key: Uint8Array; readonly version: number; readonly createRevision: number },
): void {
  const text = textOf(state.key);
  const seen = found.get(text);
  if (seen !== undefined) {
    seen.records++;
    return;
  }
  const created = type === ChangeType.Put && state.version === 1 &&
    state.createRevision === revision;
  found.set(text, { key: state.key.slice(), text, created, records: 1 });
}

/**
 * Compacts the history records in [from, upTo) slice by slice (see CompactionPace).
 * Returns the number of changes removed. Idempotent: a pass cut short (the engine closed)
 * is redone from `from` by the next open.
 */
export async function compactHistory(
  db: Db,
  view: HistoryView,
  from: number,
  upTo: number,
  pace: CompactionPace = MICROTASK_PACE,
): Promise<number> {
  let removed = 0;
  let slice = new Slice(pace.sliceEntries);
  const endSlice = async () => {
    removed += slice.ops.length / 2;
    if (slice.ops.length > 0) await db.write(slice.ops);
    slice = new Slice(pace.sliceEntries);
    await pace.pause();
  };
  const finished = new FinishedKeys();
  let next: number | undefined = from;
  while (next !== undefined) {
    const found = changedKeys(
      db,
      view,
      next,
      upTo,
      Math.min(HISTORY_COMPACT_BATCH, pace.sliceEntries),
      finished,
    );
    next = found.next;
    slice.left -= found.records;
    for (const { key, text } of found.keys) {
      let at: KeyCursor | undefined = { start: indexKey(key, upTo), settled: false };
      while (at !== undefined) {
        if (slice.spent) await endSlice();
        at = compactKey(db, view, key, { done: from, upTo }, at, slice);
      }
      finished.add(text);
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
        this.removed += await compactHistory(this.db, this.view, this.#done, target, this.pace);
        const done = new ByteWriter(10).varint(target).finish();
        await this.db.write([{ type: "put", key: this.view.own.compactedDone, value: done }]);
        this.#done = target;
      }
    } catch (err) {
      // The engine closed (shutdown or swap): the next open runs it again.
      if (!(err instanceof ClosedError)) this.onError(err);
    }
  }
}
