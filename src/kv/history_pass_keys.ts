/**
 * What one history compaction pass (history_compactor.ts) reads and remembers: the changes of
 * each key in a batch of history records, and per key the one entry the pass left live behind
 * the batches it has done.
 */
import { HISTORY_COMPACT_PASS_KEY_BYTES_MAX } from "../limits_ops.ts";
import type { Db } from "../storage/db.ts";
import { ChangeType, decodeHistory } from "./key_record.ts";
import type { HistoryView } from "./history_view.ts";

/** A key's change at one revision: the engine keys of its history records, in sub order. */
export interface RevisionChange {
  readonly revision: number;
  /** The type of the last record: the one the key index entry names (revision_writer.ts). */
  type: ChangeType;
  readonly records: Uint8Array[];
}

/** One key's changes in a batch, oldest first. */
export interface KeyChanges {
  readonly key: Uint8Array;
  readonly text: string;
  /** The key's first record in the batch created it (a put of version 1): nothing older lives. */
  readonly created: boolean;
  readonly revisions: RevisionChange[];
}

export function textOf(key: Uint8Array): string {
  let s = "";
  for (let i = 0; i < key.length; i++) s += String.fromCharCode(key[i]);
  return s;
}

/**
 * Calls `each` with the history record (engine key, revision, value) of the region's own keys
 * at revisions [from, to], in revision order, until `each` returns false: it sees the first
 * record of the revision it stops at, and every record before it. Returns the records stepped.
 */
export function forEachRecord(
  db: Db,
  view: HistoryView,
  from: number,
  to: number,
  each: (k: Uint8Array, revision: number, v: Uint8Array) => boolean,
): number {
  let records = 0;
  for (const { feed, from: low, to: high } of view.segments(from, to)) {
    // Bounded at `high`: the engine reads ahead, and past the range is not this pass's.
    const range = { start: feed.historyStart(low), end: feed.historyStart(high + 1) };
    for (const [k, v] of db.scanSync(range)) {
      const revision = feed.parseHistory(k).revision;
      if (revision > high) break;
      records++;
      if (!each(k, revision, v)) return records;
    }
  }
  return records;
}

/**
 * Up to `batch` history records from revision `from` (below `upTo`), grouped by key, stopping
 * only between revisions so a revision is never half read. `next` is the revision the next
 * batch starts at, or undefined when every record below `upTo` was read. Only the region's own
 * keys count (history_view.ts): another region compacts the rest of a feed it shares, by its
 * own compaction point; below a split the records are in the ancestors' feeds.
 */
export function readBatch(
  db: Db,
  view: HistoryView,
  from: number,
  upTo: number,
  batch: number,
): { keys: Map<string, KeyChanges>; records: number; next: number | undefined } {
  const keys = new Map<string, KeyChanges>();
  let taken = 0, open = -1, next: number | undefined;
  const records = forEachRecord(db, view, from, upTo - 1, (k, revision, v) => {
    if (revision !== open && taken >= batch) {
      next = revision;
      return false;
    }
    open = revision;
    taken++;
    const { type, state } = decodeHistory(revision, v);
    if (view.owns(state.key)) noteChange(keys, k, revision, type, state);
    return true;
  });
  return { keys, records, next };
}

function noteChange(
  keys: Map<string, KeyChanges>,
  k: Uint8Array,
  revision: number,
  type: ChangeType,
  state: { readonly key: Uint8Array; readonly version: number; readonly createRevision: number },
): void {
  const text = textOf(state.key);
  let changes = keys.get(text);
  if (changes === undefined) {
    const created = type === ChangeType.Put && state.version === 1 &&
      state.createRevision === revision;
    changes = { key: state.key.slice(), text, created, revisions: [] };
    keys.set(text, changes);
  }
  const last = changes.revisions.at(-1);
  if (last !== undefined && last.revision === revision) {
    last.type = type;
    last.records.push(k.slice());
  } else {
    changes.revisions.push({ revision, type, records: [k.slice()] });
  }
}

function recordBytes(c: RevisionChange | null): number {
  let n = 0;
  for (const r of c?.records ?? []) n += r.length;
  return n;
}

/** Bytes a remembered key costs besides its own and its records' (the map's entry, objects). */
const ENTRY_OVERHEAD_BYTES = 160;

/** A map of remembered keys within a byte budget. */
class KeyMap {
  readonly map = new Map<string, RevisionChange | null>();
  bytes = 0;

  constructor(readonly bytesMax: number) {}

  /** Remembers `live` for `text`; false (and `text` forgotten) past the budget. */
  set(text: string, live: RevisionChange | null): boolean {
    const had = this.map.get(text);
    const base = text.length + ENTRY_OVERHEAD_BYTES;
    const held = had === undefined ? 0 : base + recordBytes(had);
    const want = base + recordBytes(live);
    if (this.bytes - held + want > this.bytesMax) {
      this.forget(text);
      return false;
    }
    this.map.set(text, live);
    this.bytes += want - held;
    return true;
  }

  forget(text: string): void {
    const had = this.map.get(text);
    if (had === undefined) return;
    this.map.delete(text);
    this.bytes -= text.length + ENTRY_OVERHEAD_BYTES + recordBytes(had);
  }
}

/**
 * Per key, what compaction left live below the records it has read: the kept change (a put,
 * removed once a newer change turns up), or null when nothing is live there. Without it a key
 * needed an index seek in every batch it had a change in, and once walked its whole compacted
 * past in each (issue 14). What a pass to C leaves is still true when the next pass (from C)
 * starts, as nothing but compaction changes the index below C, so the keys of the last pass
 * are kept for the next (a key changed in both, as every hot key, then costs no seek at all);
 * older ones are dropped. Bounded by HISTORY_COMPACT_PASS_KEY_BYTES_MAX, half for each pass:
 * a key past it is not remembered (a stale entry is forgotten, never kept), and the compactor
 * finds its live change with an index seek instead (the same result, more steps).
 */
export class PassKeys {
  #current: KeyMap;
  #previous: KeyMap;

  constructor(readonly bytesMax: number = HISTORY_COMPACT_PASS_KEY_BYTES_MAX) {
    this.#current = new KeyMap(bytesMax / 2);
    this.#previous = new KeyMap(bytesMax / 2);
  }

  /** undefined: not remembered (look it up). */
  get(text: string): RevisionChange | null | undefined {
    const live = this.#current.map.get(text);
    return live !== undefined ? live : this.#previous.map.get(text);
  }

  set(text: string, live: RevisionChange | null): void {
    this.#previous.forget(text);
    this.#current.set(text, live);
  }

  /** Starts the next pass: keys the last one did not see are dropped. */
  nextPass(): void {
    this.#previous = this.#current;
    this.#current = new KeyMap(this.bytesMax / 2);
  }

  get size(): number {
    return this.#current.map.size + this.#previous.map.size;
  }

  get bytes(): number {
    return this.#current.bytes + this.#previous.bytes;
  }
}
