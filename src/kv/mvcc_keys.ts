/**
 * Engine keys of the revision history and of leases (docs/formats.md#kv-keyspace):
 *
 *   0x04 escaped(userKey) 0x00 0x01 ~rev:u64be → key index entry: change type, sub
 *   0x05 leaseId:u64be                       → lease record
 *   0x06 leaseId:u64be userKey               → (empty) the key is attached to the lease
 *
 * The history records and the expiry index are region-local (region_keys.ts):
 * `0x10 region 0x03 revision:u64be sub:u32be` → one change of one key, and
 * `0x10 region 0x07 expireAtMs:u64be userKey` → (empty) the key expires then.
 *
 * The history (0x03) is in revision order: a watch catches up by reading it
 * forward. The key index (0x04) is in user-key order with each key's revisions
 * newest first, so "the key as of revision R" is the first entry at or after
 * (key, R). Escaping keeps user-key order: every 0x00 byte of the key becomes
 * 0x00 0xFF, and 0x00 0x01 ends the key, which sorts below any continuation.
 * The revision slot is 64 bits so a sharded store can put a cluster-wide
 * timestamp there (docs/decisions/0008-revisions-are-log-indexes.md).
 */
import { DecodeError, readU64BE, writeU64BE } from "../util/coding.ts";
import {
  parseVersionedKey,
  versionedBound,
  versionedKey,
  versionedKeyEnd,
} from "../util/ordered_key.ts";

/** Namespace bytes of the history and leases. Written to disk: never renumber. */
export const MvccNamespace = {
  /** Before regions (format 2): the history; now a region-local kind. */
  History: 0x03,
  KeyIndex: 0x04,
  Lease: 0x05,
  LeaseKey: 0x06,
  /** Before regions (format 2): the expiry index; now a region-local kind. */
  Expiry: 0x07,
} as const;

// ---- Key index ----

export { escapedLength, writeEscaped } from "../util/ordered_key.ts";

/** 0x04, the escaped key (no terminator): every index entry of keys >= key sorts at or after it. */
export function indexBound(key: Uint8Array): Uint8Array {
  return versionedBound(MvccNamespace.KeyIndex, key);
}

export const INDEX_END: Uint8Array = new Uint8Array([MvccNamespace.KeyIndex + 1]);

/** The index entry of `key` at `revision`. */
export function indexKey(key: Uint8Array, revision: number): Uint8Array {
  return versionedKey(MvccNamespace.KeyIndex, key, revision);
}

/** Every index entry of exactly `key` lies in [indexKey(key, MAX), this). */
export function indexKeyEnd(key: Uint8Array): Uint8Array {
  return versionedKeyEnd(MvccNamespace.KeyIndex, key);
}

export function parseIndexKey(k: Uint8Array): { key: Uint8Array; revision: number } {
  const { key, version } = parseVersionedKey(MvccNamespace.KeyIndex, k, "key index entry");
  return { key, revision: version };
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
