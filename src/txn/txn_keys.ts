/**
 * Engine keys of Percolator transactions (docs/transactions.md#records), in the user-keyed
 * namespaces of decision 0014 §2 (a split or merge moves none of them):
 *
 *   0x0C userKey                                  → lock record: the key is being written
 *   0x0D escaped(userKey) 0x00 0x01 ~ts:u64be     → write record: committed at `ts`, or a
 *                                                   rollback record at the transaction's start
 *
 * One key has at most one lock, so the lock namespace needs no escaping: it sorts by user key.
 * The write namespace escapes keys as the key index does (src/util/ordered_key.ts): every 0x00
 * byte of the key becomes 0x00 0xFF and 0x00 0x01 ends it, which sorts below any continuation, so
 * entries sort by user key and then, through the complemented timestamp, newest first. "The key
 * as of timestamp T" is the first write record at or after (key, T).
 */
import { DecodeError } from "../util/coding.ts";
import {
  parseVersionedKey,
  versionedBound,
  versionedKey,
  versionedKeyEnd,
} from "../util/ordered_key.ts";

/** Namespace bytes. Written to disk: never renumber (0x00-0x0B and 0x10 are taken). */
export const TxnNamespace = {
  Lock: 0x0c,
  Write: 0x0d,
} as const;

// ---- Locks ----

export function lockKey(userKey: Uint8Array): Uint8Array {
  const k = new Uint8Array(1 + userKey.length);
  k[0] = TxnNamespace.Lock;
  k.set(userKey, 1);
  return k;
}

export function parseLockKey(k: Uint8Array): Uint8Array {
  if (k.length < 1 || k[0] !== TxnNamespace.Lock) throw new DecodeError("not a lock key", 0);
  return k.subarray(1);
}

/** Engine range of the locks of user keys in [start, end) (an empty end: unbounded). */
export function lockRange(start: Uint8Array, end: Uint8Array): [Uint8Array, Uint8Array] {
  return [lockKey(start), end.length === 0 ? LOCK_END : lockKey(end)];
}

const LOCK_END: Uint8Array = new Uint8Array([TxnNamespace.Lock + 1]);

// ---- Write records ----

export { escapedLength } from "../util/ordered_key.ts";

/** 0x0D, the escaped key, no terminator: every write record of keys ≥ key sorts at or after it. */
export function writeBound(key: Uint8Array): Uint8Array {
  return versionedBound(TxnNamespace.Write, key);
}

const WRITE_END: Uint8Array = new Uint8Array([TxnNamespace.Write + 1]);

/** Engine range of the write records of user keys in [start, end) (an empty end: unbounded). */
export function writeRange(start: Uint8Array, end: Uint8Array): [Uint8Array, Uint8Array] {
  return [writeBound(start), end.length === 0 ? WRITE_END : writeBound(end)];
}

/** The write record of `key` at timestamp `ts`. */
export function writeKey(key: Uint8Array, ts: number): Uint8Array {
  return versionedKey(TxnNamespace.Write, key, ts);
}

/** Every write record of exactly `key` lies in [writeKey(key, MAX), this). */
export function writeKeyEnd(key: Uint8Array): Uint8Array {
  return versionedKeyEnd(TxnNamespace.Write, key);
}

export function parseWriteKey(k: Uint8Array): { key: Uint8Array; ts: number } {
  const { key, version } = parseVersionedKey(TxnNamespace.Write, k, "write record key");
  return { key, ts: version };
}
