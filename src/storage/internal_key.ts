/**
 * Internal keys: a user key plus a sequence number and a value kind. Layout in
 * docs/formats.md#internal-key:
 *
 *   internal_key := user_key  trailer:fixed64   (trailer = seq << 8 | kind, little-endian)
 *
 * Order: user key ascending, then sequence number descending (newest first),
 * so a seek to (key, snapshot_seq) lands on the newest entry visible to it.
 */
import { assert } from "../util/assert.ts";

/** Value kinds. Written to disk: never renumber, never reuse. */
export const ValueKind = {
  Delete: 0,
  Put: 1,
  /**
   * A put whose value lies in a blob file; the entry's value is the reference
   * (blob/blob_ref.ts). Only tables hold these: flushes and compactions make them.
   */
  BlobRef: 2,
} as const;
export type ValueKind = typeof ValueKind[keyof typeof ValueKind];

/** Bytes of the trailer after the user key. */
export const TRAILER_BYTES = 8;
/** Largest sequence number (the trailer holds 56 bits; numbers stay safe integers). */
export const SEQ_MAX = Number.MAX_SAFE_INTEGER;

/** Encodes `userKey ‖ trailer` into a new array. */
export function encodeInternalKey(userKey: Uint8Array, seq: number, kind: ValueKind): Uint8Array {
  const out = new Uint8Array(userKey.length + TRAILER_BYTES);
  out.set(userKey, 0);
  writeTrailer(out, userKey.length, seq, kind);
  return out;
}

export function writeTrailer(out: Uint8Array, at: number, seq: number, kind: ValueKind): void {
  if (!(Number.isSafeInteger(seq) && seq >= 0)) assert(false, `sequence ${seq}`);
  out[at] = kind;
  // Low 32 bits by integer shifts, the high 21 once by division (seq < 2^53).
  const lo = seq >>> 0, hi = (seq - lo) / 0x100000000;
  out[at + 1] = lo & 0xff;
  out[at + 2] = (lo >>> 8) & 0xff;
  out[at + 3] = (lo >>> 16) & 0xff;
  out[at + 4] = lo >>> 24;
  out[at + 5] = hi & 0xff;
  out[at + 6] = (hi >>> 8) & 0xff;
  out[at + 7] = hi >>> 16;
}

/** Sequence number of the trailer at `at`; -1 if it exceeds 2^53 (corruption). */
export function readTrailerSeq(bytes: Uint8Array, at: number): number {
  if (bytes[at + 7] > 0x1f) return -1; // bits 53 and up (the last byte holds bits 48–55)
  let s = 0;
  for (let i = TRAILER_BYTES - 1; i >= 1; i--) s = s * 256 + bytes[at + i];
  return s;
}

/**
 * Compares the internal key stored in `buf[off, off+len)` with (userKey, seq).
 * Returns <0 when the stored key sorts first.
 */
export function compareStored(
  buf: Uint8Array,
  off: number,
  len: number,
  userKey: Uint8Array,
  seq: number,
): number {
  const ulen = len - TRAILER_BYTES;
  const n = ulen < userKey.length ? ulen : userKey.length;
  for (let i = 0; i < n; i++) {
    const d = buf[off + i] - userKey[i];
    if (d !== 0) return d;
  }
  if (ulen !== userKey.length) return ulen - userKey.length;
  return seq - readTrailerSeq(buf, off + ulen); // higher seq sorts first
}

/** Compares two encoded internal keys. */
export function compareInternalKeys(a: Uint8Array, b: Uint8Array): number {
  const bl = b.length - TRAILER_BYTES;
  return compareStored(a, 0, a.length, b.subarray(0, bl), readTrailerSeq(b, bl));
}

/** Compares (aKey, aSeq) with (bKey, bSeq) in internal order. */
export function compareParts(
  aKey: Uint8Array,
  aSeq: number,
  bKey: Uint8Array,
  bSeq: number,
): number {
  const n = aKey.length < bKey.length ? aKey.length : bKey.length;
  for (let i = 0; i < n; i++) {
    const d = aKey[i] - bKey[i];
    if (d !== 0) return d;
  }
  if (aKey.length !== bKey.length) return aKey.length - bKey.length;
  return bSeq - aSeq;
}

/** The user key part of an encoded internal key (a view). */
export function userKeyOf(internalKey: Uint8Array): Uint8Array {
  return internalKey.subarray(0, internalKey.length - TRAILER_BYTES);
}
