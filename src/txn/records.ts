/**
 * Lock and write records of Percolator transactions (docs/transactions.md#records). Both are
 * versioned binary records; decoding untrusted bytes throws `DecodeError` (never returns a
 * half-read record), and a record must be consumed exactly (no trailing bytes).
 *
 *   lock   := 0x01 kind:u8 varint startTs varint ttlMs varint lockedAtMs
 *             varint primaryLength primary [varint valueLength value]   (value: kind put only)
 *   write  := 0x01 kind:u8 varint startTs [varint valueLength value]   (value: kind put only)
 *
 * The value of a put travels in its lock and then in its write record (one namespace fewer
 * than Percolator's separate data column; values are bounded by KV_VALUE_BYTES_MAX).
 */
import { KV_KEY_BYTES_MAX, KV_VALUE_BYTES_MAX } from "../limits.ts";
import { ByteReader, ByteWriter, DecodeError } from "../util/coding.ts";

/** What a mutation does to its key. `lock`: nothing, but it conflicts like a write. */
export type MutationKind = "put" | "delete" | "lock";
/** A write record: one of the mutation kinds committed, or a rollback of a transaction. */
export type WriteKind = MutationKind | "rollback";

const RECORD_VERSION = 1;
const KIND_CODES: Readonly<Record<WriteKind, number>> = { put: 1, delete: 2, lock: 3, rollback: 4 };
const KINDS: readonly WriteKind[] = ["put", "delete", "lock", "rollback"];

/** A key's lock: the transaction `startTs` whose primary key is `primary` is writing it. */
export interface LockRecord {
  readonly kind: MutationKind;
  readonly startTs: number;
  readonly primary: Uint8Array;
  /** The lock expires `ttlMs` after `lockedAtMs` (Unix ms) unless its transaction finished. */
  readonly ttlMs: number;
  readonly lockedAtMs: number;
  /** The new value (kind put only). */
  readonly value?: Uint8Array;
}

/** A write record at commitTs (or, for a rollback, at startTs). */
export interface WriteRecord {
  readonly kind: WriteKind;
  readonly startTs: number;
  readonly value?: Uint8Array;
}

function kindOf(code: number, allowRollback: boolean, at: number): WriteKind {
  const kind = KINDS[code - 1];
  if (kind === undefined || (kind === "rollback" && !allowRollback)) {
    throw new DecodeError(`unknown record kind ${code}`, at);
  }
  return kind;
}

function readVersion(r: ByteReader, what: string): void {
  const version = r.u8();
  if (version !== RECORD_VERSION) throw new DecodeError(`${what} record version ${version}`, 0);
}

function readValue(r: ByteReader, kind: WriteKind): Uint8Array | undefined {
  return kind === "put" ? r.lengthPrefixed(KV_VALUE_BYTES_MAX).slice() : undefined;
}

function expectEnd(r: ByteReader, what: string): void {
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} bytes after the ${what}`, r.offset);
}

export function encodeLock(lock: LockRecord): Uint8Array {
  const w = new ByteWriter(32 + lock.primary.length + (lock.value?.length ?? 0));
  w.u8(RECORD_VERSION).u8(KIND_CODES[lock.kind]);
  w.varint(lock.startTs).varint(lock.ttlMs).varint(lock.lockedAtMs).lengthPrefixed(lock.primary);
  if (lock.kind === "put") w.lengthPrefixed(lock.value ?? new Uint8Array(0));
  return w.finish();
}

export function decodeLock(bytes: Uint8Array): LockRecord {
  const r = new ByteReader(bytes);
  readVersion(r, "lock");
  const kind = kindOf(r.u8(), false, 1) as MutationKind;
  const startTs = r.varint(), ttlMs = r.varint(), lockedAtMs = r.varint();
  const primary = r.lengthPrefixed(KV_KEY_BYTES_MAX).slice();
  const value = readValue(r, kind);
  expectEnd(r, "lock");
  return value === undefined
    ? { kind, startTs, primary, ttlMs, lockedAtMs }
    : { kind, startTs, primary, ttlMs, lockedAtMs, value };
}

export function encodeWrite(write: WriteRecord): Uint8Array {
  const w = new ByteWriter(16 + (write.value?.length ?? 0));
  w.u8(RECORD_VERSION).u8(KIND_CODES[write.kind]).varint(write.startTs);
  if (write.kind === "put") w.lengthPrefixed(write.value ?? new Uint8Array(0));
  return w.finish();
}

export function decodeWrite(bytes: Uint8Array): WriteRecord {
  const r = new ByteReader(bytes);
  readVersion(r, "write");
  const kind = kindOf(r.u8(), true, 1);
  const startTs = r.varint();
  const value = readValue(r, kind);
  expectEnd(r, "write");
  return value === undefined ? { kind, startTs } : { kind, startTs, value };
}
