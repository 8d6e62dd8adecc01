/**
 * Engine keys of Percolator transactions (docs/transactions.md#records), in the user-keyed
 * namespaces of decision 0014 §2 (a split or merge moves none of them):
 *
 *   0x0C userKey                                  → lock record: the key is being written
 *   0x0D escaped(userKey) 0x00 0x01 ~ts:u64be     → write record: committed at `ts`, or a
 *                                                   rollback record at the transaction's start
 *
 * One key has at most one lock, so the lock namespace needs no escaping: it sorts by user key.
 * The write namespace escapes keys as the key index does (src/kv/mvcc_keys.ts): every 0x00 byte of
 * the key becomes 0x00 0xFF and 0x00 0x01 ends it, which sorts below any continuation, so entries
 * sort by user key and then, through the complemented timestamp, newest first. "The key as of
 * timestamp T" is the first write record at or after (key, T).
 */
import { DecodeError, readU32BE, writeU32BE } from "../util/coding.ts";

/** Namespace bytes. Written to disk: never renumber (0x00-0x0B and 0x10 are taken). */
export const TxnNamespace = {
  Lock: 0x0c,
  Write: 0x0d,
} as const;

const TWO_32 = 0x1_0000_0000;

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

export function escapedLength(key: Uint8Array): number {
  let n = key.length;
  for (let i = 0; i < key.length; i++) if (key[i] === 0) n++;
  return n;
}

function writeEscaped(out: Uint8Array, at: number, key: Uint8Array): number {
  for (let i = 0; i < key.length; i++) {
    out[at++] = key[i];
    if (key[i] === 0) out[at++] = 0xff;
  }
  return at;
}

/** 0x0D, the escaped key, no terminator: every write record of keys ≥ key sorts at or after it. */
export function writeBound(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + escapedLength(key));
  out[0] = TxnNamespace.Write;
  writeEscaped(out, 1, key);
  return out;
}

const WRITE_END: Uint8Array = new Uint8Array([TxnNamespace.Write + 1]);

/** Engine range of the write records of user keys in [start, end) (an empty end: unbounded). */
export function writeRange(start: Uint8Array, end: Uint8Array): [Uint8Array, Uint8Array] {
  return [writeBound(start), end.length === 0 ? WRITE_END : writeBound(end)];
}

/** The write record of `key` at timestamp `ts`. */
export function writeKey(key: Uint8Array, ts: number): Uint8Array {
  const out = new Uint8Array(1 + escapedLength(key) + 2 + 8);
  out[0] = TxnNamespace.Write;
  let at = writeEscaped(out, 1, key);
  out[at++] = 0x00;
  out[at++] = 0x01;
  // Newest first: the complement of the timestamp, as two 32-bit halves.
  const hi = Math.floor(ts / TWO_32), lo = ts >>> 0;
  writeU32BE(out, at, (0xffff_ffff - hi) >>> 0);
  writeU32BE(out, at + 4, (0xffff_ffff - lo) >>> 0);
  return out;
}

/** Every write record of exactly `key` lies in [writeKey(key, MAX), this). */
export function writeKeyEnd(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + escapedLength(key) + 2);
  out[0] = TxnNamespace.Write;
  const at = writeEscaped(out, 1, key);
  out[at] = 0x00;
  out[at + 1] = 0x02;
  return out;
}

export function parseWriteKey(k: Uint8Array): { key: Uint8Array; ts: number } {
  const end = k.length - 10;
  if (k[0] !== TxnNamespace.Write || end < 1 || k[end] !== 0 || k[end + 1] !== 1) {
    throw new DecodeError("malformed write record key", 0);
  }
  const key: number[] = [];
  for (let i = 1; i < end; i++) {
    key.push(k[i]);
    if (k[i] === 0) {
      if (k[i + 1] !== 0xff) throw new DecodeError("malformed key escape", i);
      i++;
    }
  }
  const hi = 0xffff_ffff - readU32BE(k, end + 2), lo = 0xffff_ffff - readU32BE(k, end + 6);
  if (hi > 0x1f_ffff) throw new DecodeError("write record timestamp exceeds 2^53", end + 2);
  return { key: Uint8Array.from(key), ts: hi * TWO_32 + lo };
}
