/**
 * Reads of one region's transactional keys (docs/transactions.md#reads): the committed value of a
 * key as of a timestamp, a range as of a timestamp, and the expired locks the background
 * resolver sweeps. A read at `ts` that meets a lock of a transaction that started at or before
 * `ts` cannot know whether that transaction will commit below `ts`, so it answers "locked" and the
 * caller resolves the lock (src/txn/lock_resolver.ts) and reads again.
 */
import { compareBytes } from "../util/bytes.ts";
import { decodeLock, decodeWrite, type WriteRecord } from "./records.ts";
import {
  lockKey,
  lockRange,
  parseLockKey,
  parseWriteKey,
  writeKey,
  writeKeyEnd,
} from "./txn_keys.ts";
import { writeRange } from "./txn_keys.ts";
import type { TxnStore } from "./txn_store.ts";
import type { LockInfo } from "./txn_types.ts";

const TS_MAX = Number.MAX_SAFE_INTEGER;

/** The lock of `key`, if any. */
export function readLock(store: TxnStore, key: Uint8Array): LockInfo | undefined {
  const bytes = store.get(lockKey(key));
  return bytes === undefined ? undefined : { key, ...decodeLock(bytes) };
}

/** Whether a lock's TTL has passed at `nowMs`. */
export function lockExpired(lock: LockInfo, nowMs: number): boolean {
  return lock.lockedAtMs + lock.ttlMs <= nowMs;
}

/** The write records of `key` with timestamps ≥ `minTs`, newest first. */
export function* writesSince(
  store: TxnStore,
  key: Uint8Array,
  minTs: number,
): Iterable<{ ts: number; record: WriteRecord }> {
  for (const [k, v] of store.scan(writeKey(key, TS_MAX), writeKeyEnd(key))) {
    const { ts } = parseWriteKey(k);
    if (ts < minTs) return;
    yield { ts, record: decodeWrite(v) };
  }
}

/** The record transaction `startTs` left on `key`: its commit (at `ts`) or its rollback. */
export function ownRecord(
  store: TxnStore,
  key: Uint8Array,
  startTs: number,
): { ts: number; record: WriteRecord } | undefined {
  for (const w of writesSince(store, key, startTs)) if (w.record.startTs === startTs) return w;
  return undefined;
}

/** A lock a read at `ts` must not pass: of a writing transaction that started at or before it. */
function blocks(lock: LockInfo | undefined, ts: number): lock is LockInfo {
  return lock !== undefined && lock.kind !== "lock" && lock.startTs <= ts;
}

/** The newest put or delete of `key` committed at or before `ts`. */
function visibleWrite(
  store: TxnStore,
  key: Uint8Array,
  ts: number,
): { commitTs: number; value: Uint8Array } | undefined {
  for (const [k, v] of store.scan(writeKey(key, ts), writeKeyEnd(key))) {
    const record = decodeWrite(v);
    if (record.kind === "put") return { commitTs: parseWriteKey(k).ts, value: record.value! };
    if (record.kind === "delete") return undefined;
  }
  return undefined;
}

export type MvccGet =
  | { readonly kind: "value"; readonly value?: Uint8Array; readonly commitTs?: number }
  | { readonly kind: "locked"; readonly lock: LockInfo };

/** The value of `key` as of `ts` (absent: none), or the lock that keeps the read from knowing. */
export function mvccGet(store: TxnStore, key: Uint8Array, ts: number): MvccGet {
  const lock = readLock(store, key);
  if (blocks(lock, ts)) return { kind: "locked", lock };
  const found = visibleWrite(store, key, ts);
  return found === undefined ? { kind: "value" } : { kind: "value", ...found };
}

export interface MvccEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly commitTs: number;
}

/**
 * Up to `limit` keys of [start, end) with their values as of `ts`, in key order. When a lock
 * stops the scan, `lock` is set and `entries` holds the keys before it: resolve the lock, then
 * scan again from its key.
 */
export interface MvccScan {
  readonly entries: MvccEntry[];
  readonly lock?: LockInfo;
}

/** The smallest user key ≥ `from` (or > when `after`) with a lock or a write record in range. */
function nextKey(
  store: TxnStore,
  from: Uint8Array,
  end: Uint8Array,
  after: boolean,
): Uint8Array | undefined {
  let best: Uint8Array | undefined;
  const [ls, le] = lockRange(from, end);
  for (const [k] of store.scan(ls, le)) {
    const key = parseLockKey(k);
    if (after && compareBytes(key, from) === 0) continue;
    best = key.slice();
    break;
  }
  const [ws, we] = writeRange(from, end);
  for (const [k] of store.scan(after ? writeKeyEnd(from) : ws, we)) {
    const key = parseWriteKey(k).key;
    if (best === undefined || compareBytes(key, best) < 0) best = key;
    break;
  }
  return best;
}

export function mvccScan(
  store: TxnStore,
  range: { start: Uint8Array; end: Uint8Array },
  ts: number,
  limit: number,
): MvccScan {
  const entries: MvccEntry[] = [];
  let key = nextKey(store, range.start, range.end, false);
  while (key !== undefined && entries.length < limit) {
    const lock = readLock(store, key);
    if (blocks(lock, ts)) return { entries, lock };
    const found = visibleWrite(store, key, ts);
    if (found !== undefined) entries.push({ key, ...found });
    key = nextKey(store, key, range.end, true);
  }
  return { entries };
}

/** Up to `limit` locks of [start, end) whose TTL has passed at `nowMs`, in key order. */
export function scanExpiredLocks(
  store: TxnStore,
  range: { start: Uint8Array; end: Uint8Array },
  nowMs: number,
  limit: number,
): LockInfo[] {
  const out: LockInfo[] = [];
  const [ls, le] = lockRange(range.start, range.end);
  for (const [k, v] of store.scan(ls, le)) {
    const lock: LockInfo = { key: parseLockKey(k).slice(), ...decodeLock(v) };
    if (lockExpired(lock, nowMs)) out.push(lock);
    if (out.length >= limit) break;
  }
  return out;
}
