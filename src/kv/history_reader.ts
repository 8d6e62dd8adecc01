/**
 * Reads of the past (docs/coordination.md#revisions): a key or a range as of a
 * revision, through the key index, and the changes since a revision in
 * revision order, through the history, for watches. Each read works on one
 * engine snapshot, so a concurrent apply cannot tear it.
 */
import { HISTORY_READ_RECORDS_MAX } from "../limits.ts";
import type { Db, Snapshot } from "../storage/db.ts";
import { CompactedError, FutureRevisionError } from "./revision_errors.ts";
import { equalBytes } from "../util/bytes.ts";
import { ChangeType, decodeHistory, decodeIndexEntry } from "./key_record.ts";
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
import type { RegionKeys } from "./region_keys.ts";

/** The key's state as of `revision` (the caller checked the revision is readable). */
export async function stateAt(
  snap: Snapshot,
  region: RegionKeys,
  key: Uint8Array,
  revision: number,
): Promise<KeyState | undefined> {
  for await (const [k, v] of snap.scan({ start: indexKey(key, revision), end: indexKeyEnd(key) })) {
    const entry = decodeIndexEntry(v);
    if (entry.type === ChangeType.Delete) return undefined;
    const rev = parseIndexKey(k).revision;
    const raw = snap.get(region.history(rev, entry.sub));
    if (raw === undefined) return undefined; // compacted while indexed: cannot happen at rev >= C
    return decodeHistory(rev, raw).state;
  }
  return undefined;
}

/** Keys of `range` as of `revision`, in key order, from `after` (exclusive), up to `limit`. */
export async function rangeAt(
  snap: Snapshot,
  region: RegionKeys,
  range: KeyRange,
  revision: number,
  limit: number,
  after?: Uint8Array,
): Promise<{ states: KeyState[]; more: boolean }> {
  const states: KeyState[] = [];
  if (isSingleKey(range)) {
    const s = await stateAt(snap, region, range.key, revision);
    return { states: s === undefined ? [] : [s], more: false };
  }
  const start = after === undefined ? indexBound(range.key) : indexKeyEnd(after);
  const end = isOpenEnded(range) ? INDEX_END : indexBound(range.rangeEnd);
  let done: Uint8Array | undefined; // the key whose state at `revision` was settled
  for await (const [k, v] of snap.scan({ start, end })) {
    const { key, revision: rev } = parseIndexKey(k);
    if (rev > revision || (done !== undefined && equalBytes(done, key))) continue;
    done = key;
    const entry = decodeIndexEntry(v);
    if (entry.type === ChangeType.Delete) continue;
    if (states.length === limit) return { states, more: true };
    const raw = snap.get(region.history(rev, entry.sub));
    if (raw !== undefined) states.push(decodeHistory(rev, raw).state);
  }
  return { states, more: false };
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
  region: RegionKeys,
  from: number,
  current: number,
  range: KeyRange,
  o: HistoryOptions,
): Promise<HistoryPage> {
  const snap = db.snapshot();
  try {
    return await readChanges(snap, region, from, current, range, o);
  } finally {
    snap.release();
  }
}

/**
 * Changes at revisions >= `from` to keys in `range`, in revision order, up to
 * `current`. Stops at a revision boundary once `maxEvents` are gathered or
 * HISTORY_READ_RECORDS_MAX records were examined: a revision is never split.
 */
export async function readChanges(
  snap: Snapshot,
  region: RegionKeys,
  from: number,
  current: number,
  range: KeyRange,
  o: HistoryOptions,
): Promise<HistoryPage> {
  const events: KvEvent[] = [];
  let through = from - 1, examined = 0, open = -1;
  const feed = { start: region.historyStart(from), end: region.historyEnd };
  for await (const [k, v] of snap.scan(feed)) {
    const { revision } = region.parseHistory(k);
    if (revision > current) break;
    if (revision !== open) {
      // A new revision starts: everything before it is complete.
      if (open !== -1) through = open;
      if (events.length >= o.maxEvents || examined >= HISTORY_READ_RECORDS_MAX) {
        return { events, through };
      }
      open = revision;
    }
    examined++;
    const change = decodeHistory(revision, v);
    if (!inRange(range, change.state.key)) continue;
    const type = change.type === ChangeType.Put ? "put" : "delete";
    const prev = o.prevKv ? await stateAt(snap, region, change.state.key, revision - 1) : undefined;
    events.push(prev === undefined ? { type, kv: change.state } : { type, kv: change.state, prev });
  }
  return { events, through: current };
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
  region: RegionKeys,
  key: Uint8Array,
  revision: number,
  b: ReadBounds,
): Promise<KeyState | undefined> {
  checkReadable(revision, b);
  const snap = db.snapshot();
  try {
    const s = await stateAt(snap, region, key, revision);
    return s === undefined || isExpired(s, b.now) ? undefined : s;
  } finally {
    snap.release();
  }
}

/** Keys of a range as of a revision, after `after`, up to `limit` (expired keys hidden). */
export async function keysAt(
  db: Db,
  region: RegionKeys,
  q: { range: KeyRange; revision: number; limit: number; after?: Uint8Array },
  b: ReadBounds,
): Promise<{ states: KeyState[]; more: boolean }> {
  checkReadable(q.revision, b);
  const snap = db.snapshot();
  try {
    const page = await rangeAt(snap, region, q.range, q.revision, q.limit, q.after);
    return { ...page, states: page.states.filter((s) => !isExpired(s, b.now)) };
  } finally {
    snap.release();
  }
}
