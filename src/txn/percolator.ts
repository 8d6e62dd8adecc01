/**
 * The Percolator state machine of one region (docs/decisions/0014-regions.md §6,
 * docs/transactions.md#rules): prewrite, commit, rollback, the status of a transaction as its
 * primary key tells it, and lock resolution. Each call is one atomic step of the region (one Raft
 * command once wired): it checks every key first and writes only when all pass, so a refused
 * request changes nothing. Every call is idempotent: a coordinator or a resolver may repeat it.
 */
import { encodeLock, encodeWrite, type LockRecord } from "./records.ts";
import { lockExpired, ownRecord, readLock, writesSince } from "./mvcc_read.ts";
import { lockKey, writeKey } from "./txn_keys.ts";
import type { TxnStore } from "./txn_store.ts";
import { checkKey, checkKeys, checkMutations, checkNow, checkTs, checkTtl } from "./txn_input.ts";
import {
  type KeyError,
  type LockInfo,
  type Mutation,
  TXN_OK,
  TxnInputError,
  type TxnResult,
  type TxnStatus,
} from "./txn_types.ts";

export interface PrewriteRequest {
  readonly mutations: readonly Mutation[];
  /** The transaction's primary key (in this region or another): its record decides the outcome. */
  readonly primary: Uint8Array;
  readonly startTs: number;
  readonly lockTtlMs: number;
  /** The region's clock when the step runs (Unix ms): the locks' TTL counts from it. */
  readonly nowMs: number;
}

/** Why `m` cannot be locked for `startTs`, "skip" when it already is (a repeated prewrite). */
function prewriteCheck(store: TxnStore, m: Mutation, startTs: number): KeyError | "skip" | "ok" {
  const lock = readLock(store, m.key);
  if (lock !== undefined) return lock.startTs === startTs ? "skip" : { kind: "locked", lock };
  for (const { ts, record } of writesSince(store, m.key, startTs)) {
    if (record.startTs === startTs) {
      return record.kind === "rollback" ? { kind: "rolledBack", key: m.key } : "skip";
    }
    // Rollbacks and lock-only commits of others change no value: no write-write conflict.
    if (record.kind === "rollback" || record.kind === "lock") continue;
    return { kind: "writeConflict", key: m.key, commitTs: ts };
  }
  return "ok";
}

/** Locks every mutation for the transaction, or refuses them all. */
export function prewrite(store: TxnStore, req: PrewriteRequest): TxnResult {
  checkMutations(req.mutations);
  checkKey(req.primary);
  checkTs("startTs", req.startTs);
  checkTtl(req.lockTtlMs);
  checkNow(req.nowMs);
  const todo: Mutation[] = [];
  for (const m of req.mutations) {
    const check = prewriteCheck(store, m, req.startTs);
    if (check === "skip") continue;
    if (check !== "ok") return { ok: false, error: check };
    todo.push(m);
  }
  for (const m of todo) {
    const lock: LockRecord = {
      kind: m.kind,
      startTs: req.startTs,
      primary: req.primary,
      ttlMs: req.lockTtlMs,
      lockedAtMs: req.nowMs,
      ...(m.value === undefined ? {} : { value: m.value }),
    };
    store.put(lockKey(m.key), encodeLock(lock));
  }
  return TXN_OK;
}

/** Turns the transaction's locks on `keys` into write records at `commitTs`. */
export function commit(
  store: TxnStore,
  keys: readonly Uint8Array[],
  startTs: number,
  commitTs: number,
): TxnResult {
  checkKeys(keys);
  checkTs("startTs", startTs);
  checkTs("commitTs", commitTs);
  if (commitTs <= startTs) throw new TxnInputError(`commitTs ${commitTs} ≤ startTs ${startTs}`);
  const locks: LockInfo[] = [];
  for (const key of keys) {
    const lock = readLock(store, key);
    if (lock !== undefined && lock.startTs === startTs) {
      locks.push(lock);
      continue;
    }
    const own = ownRecord(store, key, startTs);
    if (own === undefined) return { ok: false, error: { kind: "lockNotFound", key } };
    if (own.record.kind === "rollback") return { ok: false, error: { kind: "rolledBack", key } };
  }
  for (const lock of locks) {
    const value = lock.value === undefined ? {} : { value: lock.value };
    store.put(writeKey(lock.key, commitTs), encodeWrite({ kind: lock.kind, startTs, ...value }));
    store.delete(lockKey(lock.key));
  }
  return TXN_OK;
}

/**
 * Removes the transaction's locks on `keys` and leaves a rollback record on each, so that a
 * prewrite arriving late is refused. Refused for a key the transaction committed.
 */
export function rollback(store: TxnStore, keys: readonly Uint8Array[], startTs: number): TxnResult {
  checkKeys(keys);
  checkTs("startTs", startTs);
  const todo: Uint8Array[] = [];
  for (const key of keys) {
    const own = ownRecord(store, key, startTs);
    if (own?.record.kind === "rollback") continue;
    if (own !== undefined) {
      return { ok: false, error: { kind: "committed", key, commitTs: own.ts } };
    }
    todo.push(key);
  }
  for (const key of todo) writeRollback(store, key, startTs);
  return TXN_OK;
}

function writeRollback(store: TxnStore, key: Uint8Array, startTs: number): void {
  if (readLock(store, key)?.startTs === startTs) store.delete(lockKey(key));
  // At the start timestamp: unique to this transaction, since the oracle never repeats one.
  store.put(writeKey(key, startTs), encodeWrite({ kind: "rollback", startTs }));
}

/**
 * The state of transaction `startTs` from its primary key. A primary lock whose TTL has passed at
 * `nowMs` is rolled back here (the coordinator is presumed dead; after this it cannot commit).
 * With `rollbackIfMissing`, a primary with no lock and no record gets a rollback record, so its
 * prewrite, if it is still on its way, fails: the caller saw an expired secondary lock.
 */
export function checkTxnStatus(
  store: TxnStore,
  primary: Uint8Array,
  startTs: number,
  nowMs: number,
  rollbackIfMissing: boolean,
): TxnStatus {
  checkKey(primary);
  checkTs("startTs", startTs);
  checkNow(nowMs);
  const lock = readLock(store, primary);
  if (lock !== undefined && lock.startTs === startTs) {
    if (!lockExpired(lock, nowMs)) return { kind: "locked", lock };
    writeRollback(store, primary, startTs);
    return { kind: "rolledBack" };
  }
  const own = ownRecord(store, primary, startTs);
  if (own !== undefined) {
    return own.record.kind === "rollback"
      ? { kind: "rolledBack" }
      : { kind: "committed", commitTs: own.ts };
  }
  if (!rollbackIfMissing) return { kind: "missing" };
  writeRollback(store, primary, startTs);
  return { kind: "rolledBack" };
}

/**
 * Finishes the transaction's locks on `keys` the way its primary went: committed at `commitTs`
 * (rolled forward), or rolled back when `commitTs` is undefined.
 */
export function resolveLock(
  store: TxnStore,
  keys: readonly Uint8Array[],
  startTs: number,
  commitTs: number | undefined,
): TxnResult {
  return commitTs === undefined
    ? rollback(store, keys, startTs)
    : commit(store, keys, startTs, commitTs);
}
