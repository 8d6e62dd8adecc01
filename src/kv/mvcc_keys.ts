/**
 * Engine keys of the revision history and of leases (docs/formats.md#kv-keyspace):
 *
 *   0x03 revision:u64be sub:u32be            → history record: one change of one key
 *   0x04 escaped(userKey) 0x00 0x01 ~rev:u64be → key index entry: change type, sub
 *   0x05 leaseId:u64be                       → lease record
 *   0x06 leaseId:u64be userKey               → (empty) the key is attached to the lease
 *   0x07 expireAtMs:u64be userKey            → (empty) the key expires then (the expiry index)
 *
 * The history (0x03) is in revision order: a watch catches up by reading it
 * forward. The key index (0x04) is in user-key order with each key's revisions
 * newest first, so "the key as of revision R" is the first entry at or after
 * (key, R). Escaping keeps user-key order: every 0x00 byte of the key becomes
 * 0x00 0xFF, and 0x00 0x01 ends the key, which sorts below any continuation.
 * The revision slot is 64 bits so a sharded store can put a cluster-wide
 * timestamp there (docs/decisions/0008-revisions-are-log-indexes.md).
 */
import { DecodeError, readU32BE, readU64BE, writeU32BE, writeU64BE } from "../util/coding.ts";

/** Namespace bytes of the history and leases. Written to disk: never renumber. */
export const MvccNamespace = {
  History: 0x03,
  KeyIndex: 0x04,
  Lease: 0x05,
  LeaseKey: 0x06,
  Expiry: 0x07,
} as const;

const TWO_32 = 0x1_0000_0000;

// ---- History ----

export function historyKey(revision: number, sub: number): Uint8Array {
  const k = new Uint8Array(13);
  k[0] = MvccNamespace.History;
  writeU64BE(k, 1, revision);
  writeU32BE(k, 9, sub);
  return k;
}

/** The first history key of `revision` (a scan bound). */
export function historyStart(revision: number): Uint8Array {
  return historyKey(revision, 0).subarray(0, 9);
}

export const HISTORY_END: Uint8Array = new Uint8Array([MvccNamespace.History + 1]);

export function parseHistoryKey(k: Uint8Array): { revision: number; sub: number } {
  if (k.length !== 13 || k[0] !== MvccNamespace.History) {
    throw new DecodeError(`history key of ${k.length} bytes`, 0);
  }
  return { revision: readU64BE(k, 1), sub: readU32BE(k, 9) };
}

// ---- Key index ----

export function escapedLength(key: Uint8Array): number {
  let n = key.length;
  for (let i = 0; i < key.length; i++) if (key[i] === 0) n++;
  return n;
}

/** 0x04, the escaped key (no terminator): every index entry of keys >= key sorts at or after it. */
export function indexBound(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + escapedLength(key));
  out[0] = MvccNamespace.KeyIndex;
  writeEscaped(out, 1, key);
  return out;
}

export function writeEscaped(out: Uint8Array, at: number, key: Uint8Array): number {
  for (let i = 0; i < key.length; i++) {
    out[at++] = key[i];
    if (key[i] === 0) out[at++] = 0xff;
  }
  return at;
}

export const INDEX_END: Uint8Array = new Uint8Array([MvccNamespace.KeyIndex + 1]);

/** The index entry of `key` at `revision`. */
export function indexKey(key: Uint8Array, revision: number): Uint8Array {
  const out = new Uint8Array(1 + escapedLength(key) + 2 + 8);
  out[0] = MvccNamespace.KeyIndex;
  let at = writeEscaped(out, 1, key);
  out[at++] = 0x00;
  out[at++] = 0x01;
  // Newest first: the complement of the revision, as two 32-bit halves.
  const hi = Math.floor(revision / TWO_32), lo = revision >>> 0;
  writeU32BE(out, at, (0xffff_ffff - hi) >>> 0);
  writeU32BE(out, at + 4, (0xffff_ffff - lo) >>> 0);
  return out;
}

/** Every index entry of exactly `key` lies in [indexKey(key, MAX), this). */
export function indexKeyEnd(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + escapedLength(key) + 2);
  out[0] = MvccNamespace.KeyIndex;
  const at = writeEscaped(out, 1, key);
  out[at] = 0x00;
  out[at + 1] = 0x02;
  return out;
}

export function parseIndexKey(k: Uint8Array): { key: Uint8Array; revision: number } {
  const end = k.length - 10;
  if (k[0] !== MvccNamespace.KeyIndex || end < 1 || k[end] !== 0 || k[end + 1] !== 1) {
    throw new DecodeError("malformed key index entry", 0);
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
  return { key: Uint8Array.from(key), revision: hi * TWO_32 + lo };
}

// ---- Leases ----

export function leaseKey(id: number): Uint8Array {
  const k = new Uint8Array(9);
  k[0] = MvccNamespace.Lease;
  writeU64BE(k, 1, id);
  return k;
}

export function parseLeaseKey(k: Uint8Array): number {
  if (k.length !== 9 || k[0] !== MvccNamespace.Lease) throw new DecodeError("bad lease key", 0);
  return readU64BE(k, 1);
}

export const LEASE_PREFIX: Uint8Array = new Uint8Array([MvccNamespace.Lease]);

/** The attachment of `userKey` to lease `id`; with an empty key, the prefix of all of them. */
export function leaseKeyAttachment(id: number, userKey: Uint8Array): Uint8Array {
  const k = new Uint8Array(9 + userKey.length);
  k[0] = MvccNamespace.LeaseKey;
  writeU64BE(k, 1, id);
  k.set(userKey, 9);
  return k;
}

export const LEASE_KEY_PREFIX: Uint8Array = new Uint8Array([MvccNamespace.LeaseKey]);

export function parseLeaseAttachment(k: Uint8Array): { id: number; key: Uint8Array } {
  if (k.length < 9 || k[0] !== MvccNamespace.LeaseKey) throw new DecodeError("bad lease key", 0);
  return { id: readU64BE(k, 1), key: k.subarray(9) };
}

// ---- Expiry index ----

/** The expiry index entry of `userKey` expiring at `expireAtMs` (Unix ms). */
export function expiryKey(expireAtMs: number, userKey: Uint8Array): Uint8Array {
  const k = new Uint8Array(9 + userKey.length);
  k[0] = MvccNamespace.Expiry;
  writeU64BE(k, 1, expireAtMs);
  k.set(userKey, 9);
  return k;
}

/** Entries of keys expiring at or before `nowMs` sort before this bound. */
export function expiryBound(nowMs: number): Uint8Array {
  return expiryKey(nowMs + 1, new Uint8Array(0));
}

export const EXPIRY_PREFIX: Uint8Array = new Uint8Array([MvccNamespace.Expiry]);

export function parseExpiryKey(k: Uint8Array): { expireAtMs: number; key: Uint8Array } {
  if (k.length < 9 || k[0] !== MvccNamespace.Expiry) throw new DecodeError("bad expiry key", 0);
  return { expireAtMs: readU64BE(k, 1), key: k.subarray(9) };
}
