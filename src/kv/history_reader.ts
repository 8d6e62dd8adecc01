/**
 * Reads of the past (docs/coordination.md#revisions): a key or a range as of a
 * revision, through the key index, and the changes since a revision in
 * revision order, through the history, for watches. Each read works on one
 * engine snapshot, so a concurrent apply cannot tear it.
 */
import { HISTORY_READ_RECORDS_MAX } from "../limits.ts";
import type { Db, Snapshot } from "../storage/db.ts";
import { CompactedError, FutureRevisionError, MissingHistoryError } from "./revision_errors.ts";
import { equalBytes } from "../util/bytes.ts";
import { ChangeType, decodeCurrent, decodeHistory, decodeIndexEntry } from "./key_record.ts";
import { dataKey } from "./keyspace.ts";
import {
  inRange,
  isExpired,
  isOpenEnded,
  isSingleKey,
  type KeyRange,
  type KeyState,
  type KvEvent,
} from "./key_state.ts";
import { INDEX_END, indexBound, indexKey, indexKeyEnd, parseIndexKey } from "./mvcc_keys.ts";
import type { FeedSegment, HistoryView } from "./history_view.ts";
import { compareBytes } from "../util/bytes.ts";

/**
 * The key's state as of `revision` (the caller checked the revision is readable); undefined
 * for a key the region does not own (history_view.ts).
 */
export async function stateAt(
  snap: Snapshot,
  view: HistoryView,
  key: Uint8Array,
  revision: number,
  lenient = false,
): Promise<KeyState | undefined> {
  if (!view.owns(key)) return undefined;
  for await (const [k, v] of snap.scan({ start: indexKey(key, revision), end: indexKeyEnd(key) })) {
    const entry = decodeIndexEntry(v);
    if (entry.type === ChangeType.Delete) return undefined;
    const rev = parseIndexKey(k).revision;
    return recordState(snap, view, key, rev, entry.sub, lenient);
  }
  return undefined;
}

/**
 * `key`'s state in its change at `rev`/`sub`. A replica made from a region image after a split
 * lacks the records of the ancestors' feeds (the image carries the region's own), while the key
 * index names them: a key unchanged since is then read from its current record, the same
 * version; one changed since throws MissingHistoryError (undefined when `lenient`: a watch's
 * previous value) rather than read as absent.
 */
function recordState(
  snap: Snapshot,
  view: HistoryView,
  key: Uint8Array,
  rev: number,
  sub: number,
  lenient: boolean,
): KeyState | undefined {
  const raw = snap.get(view.recordKey(snap, key, rev, sub));
  if (raw !== undefined) return decodeHistory(rev, raw).state;
  const current = snap.get(dataKey(key));
  const now = current === undefined ? undefined : decodeCurrent(key, current);
  if (now?.modRevision === rev) return now;
  if (lenient) return undefined;
  throw new MissingHistoryError(rev);
}

/** Keys of `range` as of `revision`, in key order, from `after` (exclusive), up to `limit`. */
export async function rangeAt(
  snap: Snapshot,
  view: HistoryView,
  range: KeyRange,
  revision: number,
  limit: number,
  after?: Uint8Array,
): Promise<{ states: KeyState[]; more: boolean }> {
  const states: KeyState[] = [];
  if (isSingleKey(range)) {
    const s = await stateAt(snap, view, range.key, revision);
    return { states: s === undefined ? [] : [s], more: false };
  }
  const { span } = view; // only the region's own keys: others' entries point into other feeds
  const first = compareBytes(range.key, span.start) < 0 ? span.start : range.key;
  const start = after === undefined ? indexBound(first) : indexKeyEnd(after);
  const end = indexEnd(range, span);
  let done: Uint8Array | undefined; // the key whose state at `revision` was settled
  for await (const [k, v] of snap.scan({ start, end })) {
    const { key, revision: rev } = parseIndexKey(k);
    if (rev > revision || (done !== undefined && equalBytes(done, key))) continue;
    if (!view.owns(key)) continue;
    done = key;
    const entry = decodeIndexEntry(v);
    if (entry.type === ChangeType.Delete) continue;
    if (states.length === limit) return { states, more: true };
    const state = recordState(snap, view, key, rev, entry.sub, false);
    if (state !== undefined) states.push(state);
  }
  return { states, more: false };
}

/** Where the index entries of `range`'s keys within `span` end (an empty span end: none). */
function indexEnd(range: KeyRange, span: HistoryView["span"]): Uint8Array {
  const open = isOpenEnded(range);
  if (span.end.length > 0 && (open || compareBytes(span.end, range.rangeEnd) < 0)) {
    return indexBound(span.end);
  }
  return open ? INDEX_END : indexBound(range.rangeEnd);
}

export interface HistoryPage {
  readonly events: KvEvent[];
  /** Every revision up to this one has been read (from - 1 when nothing was). */
  readonly through: number;
}

export interface HistoryOptions {
  readonly maxEvents: number;
  readonly prevKv: boolean;
}

/** readChanges on a snapshot of `db` taken now (released when the page is read). */
export async function readChangesPinned(
  db: Db,
  view: HistoryView,
  from: number,
  current: number,
  range: KeyRange,
  o: HistoryOptions,
): Promise<HistoryPage> {
  const snap = db.snapshot();
  try {
    return await readChanges(snap, view, from, current, range, o);
  } finally {
    snap.release();
  }
}

/**
 * Changes at revisions >= `from` to keys in `range`, in revision order, up to
 * `current`. Stops at a revision boundary once `maxEvents` are gathered or
 * HISTORY_READ_RECORDS_MAX records were examined: a revision is never split.
 * Below a split the changes are in an ancestor's feed, read for the region's own keys
 * (history_view.ts); the feeds' revision intervals do not overlap, so the order holds.
 */
export async function readChanges(
  snap: Snapshot,
  view: HistoryView,
  from: number,
  current: number,
  range: KeyRange,
  o: HistoryOptions,
): Promise<HistoryPage> {
  const page: PageState = { events: [], examined: 0 };
  for (const segment of view.segments(from, current)) {
    const through = await readSegment(snap, view, segment, range, o, page);
    if (through !== undefined) return { events: page.events, through };
  }
  return { events: page.events, through: current };
}

interface PageState {
  readonly events: KvEvent[];
  examined: number;
}

/** Reads one feed's records in [from, to] into `page`; returns `through` if the page is full. */
async function readSegment(
  snap: Snapshot,
  view: HistoryView,
  segment: FeedSegment,
  range: KeyRange,
  o: HistoryOptions,
  page: PageState,
): Promise<number | undefined> {
  const { feed, from, to } = segment;
  let through = from - 1, open = -1;
  const full = () => page.events.length >= o.maxEvents || page.examined >= HISTORY_READ_RECORDS_MAX;
  for await (const [k, v] of snap.scan({ start: feed.historyStart(from), end: feed.historyEnd })) {
    const { revision } = feed.parseHistory(k);
    if (revision > to) break;
    if (revision !== open) {
      // A new revision starts: everything before it is complete.
      if (open !== -1) through = open;
      if (full()) return through;
      open = revision;
    }
    page.examined++;
    const change = decodeHistory(revision, v);
    if (!inRange(range, change.state.key) || !view.owns(change.state.key)) continue;
    const type = change.type === ChangeType.Put ? "put" : "delete";
    const prev = o.prevKv
      ? await stateAt(snap, view, change.state.key, revision - 1, true)
      : undefined;
    page.events.push(
      prev === undefined ? { type, kv: change.state } : { type, kv: change.state, prev },
    );
  }
  return undefined;
}

/** Where reads at a past revision may go, and the time they judge expiry by. */
export interface ReadBounds {
  /** The newest revision the engine holds. */
  readonly visible: number;
  readonly compacted: number;
  readonly now: number;
}

function checkReadable(revision: number, b: ReadBounds): void {
  if (revision > b.visible) throw new FutureRevisionError(revision, b.visible);
  if (revision < b.compacted) throw new CompactedError(revision, b.compacted);
}

/** The key as of `revision`, on a snapshot taken now (expired keys hidden). */
export async function keyAt(
  db: Db,
  view: HistoryView,
  key: Uint8Array,
  revision: number,
  b: ReadBounds,
): Promise<KeyState | undefined> {
  checkReadable(revision, b);
  const snap = db.snapshot();
  try {
    const s = await stateAt(snap, view, key, revision);
    return s === undefined || isExpired(s, b.now) ? undefined : s;
  } finally {
    snap.release();
  }
}

/** Keys of a range as of a revision, after `after`, up to `limit` (expired keys hidden). */
export async function keysAt(
  db: Db,
  view: HistoryView,
  q: { range: KeyRange; revision: number; limit: number; after?: Uint8Array },
  b: ReadBounds,
): Promise<{ states: KeyState[]; more: boolean }> {
  checkReadable(q.revision, b);
  const snap = db.snapshot();
  try {
    const page = await rangeAt(snap, view, q.range, q.revision, q.limit, q.after);
    return { ...page, states: page.states.filter((s) => !isExpired(s, b.now)) };
  } finally {
    snap.release();
  }
}
