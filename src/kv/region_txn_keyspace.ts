/**
 * How a Percolator transaction meets the region's keyspace (docs/transactions.md#the-keyspace,
 * docs/decisions/0019-cross-region-txns-on-nodes.md):
 *
 * - A prewrite conflicts with a change of the keyspace after its start timestamp (a write by an
 *   ordinary command, not only by another transaction; a Redis hash or set of the name in
 *   database 0 made or changed since): first committer wins either way.
 * - A commit (or a lock rolled forward) writes each committed put or delete into the keyspace
 *   at the commit timestamp — the key's current record, its history and key index entry, and an
 *   event — so that every read of the node sees it at the same revision in every region. The
 *   commit timestamp may be below the region's revision: the key was locked since before it was
 *   handed out, so no command changed it meanwhile (ordinary writes of a locked key are refused)
 *   and no read at or after the lock's start saw it without resolving the lock first.
 * - The region's revision becomes at least the commit timestamp.
 */
import { ownRecord, readLock } from "../txn/mvcc_read.ts";
import type { TxnWriteRequest } from "../txn/txn_codec.ts";
import type { TxnStore } from "../txn/txn_store.ts";
import type { KeyError, LockInfo } from "../txn/txn_types.ts";
import { indexKey, indexKeyEnd, parseIndexKey } from "./mvcc_keys.ts";
import { RevisionWriter } from "./revision_writer.ts";
import { metaKey } from "./redis/keys.ts";
import { decodeMeta } from "./redis/meta_record.ts";
import type { KvStateMachine } from "./state_machine.ts";
import type { StoreMeta } from "./store_meta.ts";
import type { WriteSet } from "./write_set.ts";

const EMPTY = new Uint8Array(0);
/** Newest first: the first index entry at or after this one is the key's latest change. */
const NEWEST = Number.MAX_SAFE_INTEGER;

/** The revision of the keyspace's latest change of `key` (0: never changed, or compacted). */
export function lastChange(ws: WriteSet, key: Uint8Array): number {
  for (const [k] of ws.scan(indexKey(key, NEWEST), indexKeyEnd(key))) {
    return parseIndexKey(k).revision;
  }
  return 0;
}

/**
 * The revision of the last change of database 0's hash or set named `key` (0: none): a Redis
 * collection lives outside the key index (redis/keys.ts), so creating one does not show there,
 * yet a string committed over it would leave the name with two values.
 */
function typedChange(ws: WriteSet, key: Uint8Array): number {
  const raw = ws.get(metaKey(0, key));
  return raw === undefined ? 0 : decodeMeta(raw).modRevision;
}

/**
 * The conflict of a prewrite with the keyspace: a key it would newly lock was changed after the
 * start timestamp. Keys this transaction already locked or finished are the prewrite's own
 * business (a repeated prewrite must answer as the first did).
 */
export function keyspaceConflict(
  store: TxnStore,
  ws: WriteSet,
  req: Extract<TxnWriteRequest, { kind: "prewrite" }>,
): KeyError | undefined {
  for (const m of req.mutations) {
    if (readLock(store, m.key)?.startTs === req.startTs) continue;
    if (ownRecord(store, m.key, req.startTs) !== undefined) continue;
    const changed = Math.max(lastChange(ws, m.key), typedChange(ws, m.key));
    if (changed > req.startTs) return { kind: "writeConflict", key: m.key, commitTs: changed };
  }
  return undefined;
}

/** What a commit request will make visible: its timestamp and the value locks it commits. */
export interface KeyspaceCommit {
  readonly commitTs: number;
  readonly locks: readonly LockInfo[];
}

/** Read before the request runs (the commit removes the locks). */
export function committing(store: TxnStore, req: TxnWriteRequest): KeyspaceCommit | undefined {
  if (req.kind !== "commit" && req.kind !== "resolveLock") return undefined;
  const commitTs = req.commitTs;
  if (commitTs === undefined) return undefined;
  const locks: LockInfo[] = [];
  for (const key of req.keys) {
    const lock = readLock(store, key);
    if (lock !== undefined && lock.startTs === req.startTs && lock.kind !== "lock") {
      locks.push(lock);
    }
  }
  return { commitTs, locks };
}

/** How many history records revision `revision` of the region has already. */
function recordsAt(ws: WriteSet, revision: number): number {
  let n = 0;
  for (const _ of ws.scan(ws.region.historyStart(revision), ws.region.historyStart(revision + 1))) {
    n++;
  }
  return n;
}

/** Writes the committed values into the keyspace at the commit timestamp; returns the meta. */
export function writeCommitted(
  kv: KvStateMachine,
  ws: WriteSet,
  meta: StoreMeta,
  commit: KeyspaceCommit,
): StoreMeta {
  if (commit.locks.length === 0) return meta;
  const at = commit.commitTs;
  const w = new RevisionWriter(ws, at, kv.leaseTable, meta.now).from(recordsAt(ws, at));
  for (const lock of commit.locks) {
    if (lock.kind === "put") w.put(lock.key, lock.value ?? EMPTY, 0);
    else w.delete(lock.key);
  }
  kv.addEvents(w.events);
  return w.changed ? { ...meta, revision: Math.max(meta.revision, at) } : meta;
}
