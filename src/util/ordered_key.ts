/**
 * Engine keys that keep user-key order and list a key's versions newest first
 * (docs/formats.md#kv-keyspace): used by the key index (`0x04`, src/kv) and
 * the transaction write records (`0x0D`, src/txn).
 *
 *   ns escaped(userKey) 0x00 0x01 ~version:u64be
 *
 * Escaping: every 0x00 byte of the key becomes 0x00 0xFF, and 0x00 0x01 ends
 * the key, which sorts below any continuation; so the entries of one key never
 * interleave with another's, and keys compare as their unescaped bytes do. The
 * version is stored as its complement so that larger versions sort first.
 */
import { DecodeError, readU32BE, writeU32BE } from "./coding.ts";

const TWO_32 = 0x1_0000_0000;

/** Bytes of `key` once escaped. */
export function escapedLength(key: Uint8Array): number {
  let n = key.length;
  for (let i = 0; i < key.length; i++) if (key[i] === 0) n++;
  return n;
}

/** Writes `key` escaped at `at`; returns the offset after it. */
export function writeEscaped(out: Uint8Array, at: number, key: Uint8Array): number {
  for (let i = 0; i < key.length; i++) {
    out[at++] = key[i];
    if (key[i] === 0) out[at++] = 0xff;
  }
  return at;
}

/** `ns` and the escaped key, no terminator: every entry of keys ≥ key sorts at or after it. */
export function versionedBound(ns: number, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + escapedLength(key));
  out[0] = ns;
  writeEscaped(out, 1, key);
  return out;
}

/** The entry of `key` at `version` (a safe integer). */
export function versionedKey(ns: number, key: Uint8Array, version: number): Uint8Array {
  const out = new Uint8Array(1 + escapedLength(key) + 2 + 8);
  out[0] = ns;
  let at = writeEscaped(out, 1, key);
  out[at++] = 0x00;
  out[at++] = 0x01;
  const hi = Math.floor(version / TWO_32), lo = version >>> 0;
  writeU32BE(out, at, (0xffff_ffff - hi) >>> 0);
  writeU32BE(out, at + 4, (0xffff_ffff - lo) >>> 0);
  return out;
}

/** Every entry of exactly `key` lies in [versionedKey(ns, key, MAX), this). */
export function versionedKeyEnd(ns: number, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + escapedLength(key) + 2);
  out[0] = ns;
  const at = writeEscaped(out, 1, key);
  out[at] = 0x00;
  out[at + 1] = 0x02;
  return out;
}

/**
 * The user key and version of an entry of namespace `ns`; `what` names the
 * entry in the DecodeError a malformed one (or a version past 2^53) gives.
 */
export function parseVersionedKey(
  ns: number,
  k: Uint8Array,
  what: string,
): { key: Uint8Array; version: number } {
  const end = k.length - 10;
  if (k[0] !== ns || end < 1 || k[end] !== 0 || k[end + 1] !== 1) {
    throw new DecodeError(`malformed ${what}`, 0);
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
  if (hi > 0x1f_ffff) throw new DecodeError(`${what}: version exceeds 2^53`, end + 2);
  return { key: Uint8Array.from(key), version: hi * TWO_32 + lo };
}
