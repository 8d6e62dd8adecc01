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

/**
 * A record as the apply pass hands it to the engine: one array, or its head and its value, which
 * the engine's batch copies one after the other (write_batch.ts `putParts`).
 */
export type RecordBytes = Uint8Array | readonly [Uint8Array, Uint8Array];

/**
 * Values from this size on are not copied into their records: a put's current and history
 * records each copied the value once more before the engine's batch copied both again (400 MiB
 * of copies for a 100 MiB value where the batch's 200 are needed).
 */
export const RECORD_PARTS_MIN_BYTES = 64 * 1024;

export function encodeCurrent(s: KeyState): Uint8Array {
  const out = new Uint8Array(currentHeadBytes(s) + s.value.length);
  out.set(s.value, writeCurrentHead(out, s));
  return out;
}

/** The current record of `s`: its head and value apart when the value is large. */
export function currentRecord(s: KeyState): RecordBytes {
  if (s.value.length < RECORD_PARTS_MIN_BYTES) return encodeCurrent(s);
  const head = new Uint8Array(currentHeadBytes(s));
  writeCurrentHead(head, s);
  return [head, s.value];
}

function currentHeadBytes(s: KeyState): number {
  return varintLength(s.modRevision) + varintLength(s.createRevision) +
    varintLength(s.version) + varintLength(s.lease) + varintLength(s.expireAtMs);
}

function writeCurrentHead(out: Uint8Array, s: KeyState): number {
  let at = writeVarint(out, 0, s.modRevision);
  at = writeVarint(out, at, s.createRevision);
  at = writeVarint(out, at, s.version);
  at = writeVarint(out, at, s.lease);
  return writeVarint(out, at, s.expireAtMs);
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
  const fields = historyFields(type, s);
  const out = new Uint8Array(historyHeadBytes(s, fields) + (put ? s.value.length : 0));
  const at = writeHistoryHead(out, type, s, fields);
  if (put) out.set(s.value, at);
  return out;
}

/** The history record of a change: its head and value apart when the value is large. */
export function historyRecord(type: ChangeType, s: KeyState): RecordBytes {
  if (type !== ChangeType.Put || s.value.length < RECORD_PARTS_MIN_BYTES) {
    return encodeHistory(type, s);
  }
  const fields = historyFields(type, s);
  const head = new Uint8Array(historyHeadBytes(s, fields));
  writeHistoryHead(head, type, s, fields);
  return [head, s.value];
}

function historyFields(type: ChangeType, s: KeyState): number[] {
  return type === ChangeType.Put ? [s.createRevision, s.version, s.lease, s.expireAtMs] : [];
}

function historyHeadBytes(s: KeyState, fields: readonly number[]): number {
  let size = 1 + varintLength(s.key.length) + s.key.length;
  for (const f of fields) size += varintLength(f);
  return size;
}

function writeHistoryHead(
  out: Uint8Array,
  type: ChangeType,
  s: KeyState,
  fields: readonly number[],
): number {
  out[0] = type;
  let at = writeVarint(out, 1, s.key.length);
  out.set(s.key, at);
  at += s.key.length;
  for (const f of fields) at = writeVarint(out, at, f);
  return at;
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
