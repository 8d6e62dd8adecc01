/**
 * Byte layouts of the records the revisioned store keeps (docs/formats.md#kv-keyspace):
 *
 *   current (0x02 key)   := varint modRevision, varint createRevision, varint version,
 *                           varint lease, varint expireAtMs, value bytes
 *   history (0x03 ...)   := u8 type, varint keyLength, key, and for a put:
 *                           varint createRevision, varint version, varint lease,
 *                           varint expireAtMs, value bytes
 *   expiry (0x07 ...)    := empty (the key is in the expiry index)
 *   index (0x04 ...)     := u8 type, varint sub (where the change sits in its revision)
 *   lease (0x05 id)      := varint ttlSeconds
 *
 * Before revisions (data format 1), a current record was varint raftIndex, value
 * (format_migration.ts rewrites those once).
 */
import { ByteReader, ByteWriter, DecodeError, varintLength, writeVarint } from "../util/coding.ts";
import { deletedState, type KeyState } from "./key_state.ts";

/** Change types in history and index records. Written to disk: never renumber. */
export const ChangeType = { Put: 1, Delete: 2 } as const;
export type ChangeType = typeof ChangeType[keyof typeof ChangeType];

export function encodeCurrent(s: KeyState): Uint8Array {
  const head = varintLength(s.modRevision) + varintLength(s.createRevision) +
    varintLength(s.version) + varintLength(s.lease) + varintLength(s.expireAtMs);
  const out = new Uint8Array(head + s.value.length);
  let at = writeVarint(out, 0, s.modRevision);
  at = writeVarint(out, at, s.createRevision);
  at = writeVarint(out, at, s.version);
  at = writeVarint(out, at, s.lease);
  at = writeVarint(out, at, s.expireAtMs);
  out.set(s.value, at);
  return out;
}

/** Values up to this many bytes are copied out of a record, longer ones viewed. */
const VALUE_COPY_MAX = 64;

/**
 * The key's state from its current record; the value is a copy of a short value (a view of a
 * fresh small array costs it a buffer of its own: several times the copy, on every SET's read
 * of its key) or a view into `bytes`.
 */
export function decodeCurrent(key: Uint8Array, bytes: Uint8Array): KeyState {
  const r = new ByteReader(bytes);
  const modRevision = r.varint(), createRevision = r.varint();
  const version = r.varint(), lease = r.varint(), expireAtMs = r.varint();
  const from = r.offset, n = bytes.length - from;
  let value: Uint8Array;
  if (n <= VALUE_COPY_MAX) {
    value = new Uint8Array(n);
    for (let i = 0; i < n; i++) value[i] = bytes[from + i];
  } else value = bytes.subarray(from);
  return { key, value, createRevision, modRevision, version, lease, expireAtMs };
}

/** Where a current record's value starts and when its key expires (0: never). */
export interface CurrentHead {
  valueOff: number;
  expireAtMs: number;
}

/**
 * Reads the head of the current record at `bytes[off, end)` in place into `into`: no view of
 * the value is made (`decodeCurrent`'s view of a fresh copy costs the copy a buffer of its own,
 * several times the rest of a point read). Malformed bytes throw as `decodeCurrent` does.
 */
export function readCurrentHead(
  bytes: Uint8Array,
  off: number,
  end: number,
  into: CurrentHead,
): void {
  let at = off;
  for (let field = 0; field < 5; field++) { // modRevision, createRevision, version, lease, expiry
    let value = 0, scale = 1;
    for (let i = 0;; i++) {
      if (at >= end || i === 8) throw new DecodeError("truncated current record", at);
      const b = bytes[at++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 128;
    }
    if (!Number.isSafeInteger(value)) throw new DecodeError("varint exceeds 2^53", at);
    if (field === 4) into.expireAtMs = value;
  }
  into.valueOff = at;
}

/** A history record of a put (`s`) or of a delete of `s.key` (`type` Delete). */
export function encodeHistory(type: ChangeType, s: KeyState): Uint8Array {
  // Written into one exact-size buffer: a writer's final copy would double a large value.
  const put = type === ChangeType.Put;
  const fields = put ? [s.createRevision, s.version, s.lease, s.expireAtMs] : [];
  let size = 1 + varintLength(s.key.length) + s.key.length;
  for (const f of fields) size += varintLength(f);
  const out = new Uint8Array(size + (put ? s.value.length : 0));
  out[0] = type;
  let at = writeVarint(out, 1, s.key.length);
  out.set(s.key, at);
  at += s.key.length;
  for (const f of fields) at = writeVarint(out, at, f);
  if (put) out.set(s.value, at);
  return out;
}

export interface HistoryChange {
  readonly type: ChangeType;
  /** For a delete: the key and the delete's revision, other fields zero. */
  readonly state: KeyState;
}

export function decodeHistory(revision: number, bytes: Uint8Array): HistoryChange {
  const r = new ByteReader(bytes);
  const type = r.u8();
  const key = r.lengthPrefixed(bytes.length);
  if (type === ChangeType.Delete) return { type, state: deletedState(key, revision) };
  if (type !== ChangeType.Put) throw new DecodeError(`history record of type ${type}`, 0);
  const createRevision = r.varint(), version = r.varint(), lease = r.varint();
  const expireAtMs = r.varint();
  const value = bytes.subarray(r.offset);
  const modRevision = revision;
  return { type, state: { key, value, createRevision, modRevision, version, lease, expireAtMs } };
}

export function encodeIndexEntry(type: ChangeType, sub: number): Uint8Array {
  const out = new Uint8Array(1 + varintLength(sub));
  out[0] = type;
  writeVarint(out, 1, sub);
  return out;
}

export function decodeIndexEntry(bytes: Uint8Array): { type: ChangeType; sub: number } {
  const r = new ByteReader(bytes);
  const type = r.u8();
  if (type !== ChangeType.Put && type !== ChangeType.Delete) {
    throw new DecodeError(`index entry of type ${type}`, 0);
  }
  return { type, sub: r.varint() };
}

export function encodeLease(ttlSeconds: number): Uint8Array {
  return new ByteWriter(10).varint(ttlSeconds).finish();
}

export function decodeLease(bytes: Uint8Array): number {
  return new ByteReader(bytes).varint();
}

/** A format-1 current record: the Raft index that wrote it, then the value. */
export function decodeFormat1(bytes: Uint8Array): { index: number; value: Uint8Array } {
  const r = new ByteReader(bytes);
  const index = r.varint();
  return { index, value: bytes.subarray(r.offset) };
}
