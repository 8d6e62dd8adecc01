/**
 * Write batches: the unit of atomicity, and the payload of one WAL record.
 * Layout in docs/formats.md#write-batch:
 *
 *   batch := first_seq:fixed64 count:fixed32 op{count}
 *   op    := kind:u8 key_len:varint key [value_len:varint value]   (value only for Put)
 *
 * Op i gets sequence number first_seq + i.
 */
import {
  KEY_BYTES_MAX,
  VALUE_BYTES_MAX,
  WRITE_BATCH_BYTES_MAX,
  WRITE_BATCH_OPS_MAX,
} from "../limits.ts";
import { toBytes } from "../util/bytes.ts";
import { ByteReader, DecodeError, writeFixed32 } from "../util/coding.ts";
import { CorruptionError, InvalidArgumentError, TooLargeError } from "../util/errors.ts";
import { ValueKind } from "./internal_key.ts";

export type KeyLike = string | Uint8Array;

/**
 * One operation of an atomic `write(ops)`; shapes follow abstract-level. A `putParts` stores
 * its parts one after another as the value: the batch copies each once, so a large value and
 * the few bytes a record puts in front of it need not be joined into one array first.
 */
export type WriteOp =
  | { readonly type: "put"; readonly key: KeyLike; readonly value: KeyLike }
  | { readonly type: "putParts"; readonly key: KeyLike; readonly parts: readonly Uint8Array[] }
  | { readonly type: "del"; readonly key: KeyLike };

/** A value as the batch copies it: one array, or parts one after another. */
type ValueBytes = Uint8Array | readonly Uint8Array[];

function valueLength(v: ValueBytes): number {
  if (v instanceof Uint8Array) return v.length;
  let n = 0;
  for (const p of v) n += p.length;
  return n;
}

/** Fixed header of an encoded batch. */
export const BATCH_HEADER_BYTES = 12;

/** A validated batch, encoded once; memtable entries point into `payload`. */
export interface EncodedBatch {
  /** The WAL record payload; its first 8 bytes (the sequence) are set at commit. */
  readonly payload: Uint8Array;
  readonly count: number;
  /** Kind of op i. */
  readonly kinds: readonly ValueKind[];
  /** Op i's key offset, key length, value offset, value length in `payload` (4 per op). */
  readonly offsets: readonly number[];
}

function varintBytes(n: number): number {
  let b = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    b++;
  }
  return b;
}

export function checkKey(key: Uint8Array): void {
  if (key.length > KEY_BYTES_MAX) throw new TooLargeError("key", key.length, KEY_BYTES_MAX);
}

export function checkValue(value: Uint8Array): void {
  if (value.length > VALUE_BYTES_MAX) {
    throw new TooLargeError("value", value.length, VALUE_BYTES_MAX);
  }
}

/** Validates `ops` against the limits and encodes them (sequence left as 0). */
export function encodeBatch(ops: readonly WriteOp[]): EncodedBatch {
  if (!Array.isArray(ops)) throw new InvalidArgumentError("write(ops) needs an array");
  if (ops.length > WRITE_BATCH_OPS_MAX) {
    throw new TooLargeError("batch operation count", ops.length, WRITE_BATCH_OPS_MAX);
  }
  // First pass: convert and check every limit before copying any bytes.
  const keys: Uint8Array[] = [];
  const values: (ValueBytes | undefined)[] = [];
  let bytes = 0;
  for (const op of ops) {
    const key = toBytes(op.key);
    checkKey(key);
    let value: ValueBytes | undefined;
    if (op.type === "put") value = toBytes(op.value);
    else if (op.type === "putParts") {
      const parts: unknown = op.parts;
      if (!Array.isArray(parts) || parts.some((p: unknown) => !(p instanceof Uint8Array))) {
        throw new InvalidArgumentError("putParts needs an array of Uint8Array parts");
      }
      value = op.parts;
    } else if (op.type !== "del") {
      throw new InvalidArgumentError(`unknown op type ${String((op as { type: unknown }).type)}`);
    }
    const vlen = value === undefined ? 0 : valueLength(value);
    if (vlen > VALUE_BYTES_MAX) throw new TooLargeError("value", vlen, VALUE_BYTES_MAX);
    bytes += key.length + vlen;
    if (bytes > WRITE_BATCH_BYTES_MAX) {
      throw new TooLargeError("batch", bytes, WRITE_BATCH_BYTES_MAX);
    }
    keys.push(key);
    values.push(value);
  }
  return encodeParts(keys, values);
}

function encodeParts(keys: Uint8Array[], values: (ValueBytes | undefined)[]): EncodedBatch {
  let size = BATCH_HEADER_BYTES;
  for (let i = 0; i < keys.length; i++) {
    const v = values[i];
    size += 1 + varintBytes(keys[i].length) + keys[i].length;
    if (v !== undefined) size += varintBytes(valueLength(v)) + valueLength(v);
  }
  const out = new Uint8Array(size);
  writeFixed32(out, 8, keys.length);
  const kinds: ValueKind[] = [];
  const offsets: number[] = [];
  let at = BATCH_HEADER_BYTES;
  for (let i = 0; i < keys.length; i++) {
    const v = values[i];
    const kind = v === undefined ? ValueKind.Delete : ValueKind.Put;
    out[at++] = kind;
    kinds.push(kind);
    at = putLengthPrefixed(out, at, keys[i]);
    offsets.push(at - keys[i].length, keys[i].length);
    if (v === undefined) offsets.push(at, 0);
    else {
      at = putLengthPrefixed(out, at, v);
      const n = valueLength(v);
      offsets.push(at - n, n);
    }
  }
  return { payload: out, count: keys.length, kinds, offsets };
}

/** Encodes a single put without building an op array (the `put()` fast path). */
export function encodeSingle(key: Uint8Array, value: Uint8Array | undefined): EncodedBatch {
  checkKey(key);
  if (value !== undefined) checkValue(value);
  return encodeParts([key], [value]);
}

function putLengthPrefixed(out: Uint8Array, at: number, data: ValueBytes): number {
  let n = valueLength(data);
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  if (data instanceof Uint8Array) {
    out.set(data, at);
    return at + data.length;
  }
  for (const part of data) {
    out.set(part, at);
    at += part.length;
  }
  return at;
}

/** Sets the first sequence number of an encoded batch. */
export function setBatchSeq(payload: Uint8Array, seq: number): void {
  let s = seq;
  for (let i = 0; i < 8; i++) {
    payload[i] = s % 256;
    s = Math.floor(s / 256);
  }
}

/** Receives each decoded op; key and value are views into the payload. */
export type BatchVisitor = (
  seq: number,
  kind: ValueKind,
  key: Uint8Array,
  value: Uint8Array | undefined,
) => void;

/**
 * Decodes a batch from untrusted bytes (WAL replay); throws CorruptionError.
 * Sequences only grow: a batch must start after `afterSeq` (the last one replayed).
 */
export function decodeBatch(
  payload: Uint8Array,
  file: string,
  fileOffset: number,
  visit: BatchVisitor,
  afterSeq = 0,
): { firstSeq: number; count: number } {
  const r = new ByteReader(payload);
  try {
    const firstSeq = r.fixed64();
    const count = r.fixed32();
    if (count > WRITE_BATCH_OPS_MAX) throw new DecodeError(`batch count ${count}`, 8);
    if (count > 0 && firstSeq <= afterSeq) {
      throw new DecodeError(`batch sequence ${firstSeq} does not follow ${afterSeq}`, 0);
    }
    for (let i = 0; i < count; i++) {
      const kind = r.u8();
      const key = r.lengthPrefixed(KEY_BYTES_MAX);
      if (kind === ValueKind.Put) {
        visit(firstSeq + i, kind, key, r.lengthPrefixed(VALUE_BYTES_MAX));
      } else if (kind === ValueKind.Delete) {
        visit(firstSeq + i, kind, key, undefined);
      } else {
        throw new DecodeError(`unknown op kind ${kind}`, r.offset - 1);
      }
    }
    if (r.remaining !== 0) throw new DecodeError("trailing bytes after batch", r.offset);
    return { firstSeq, count };
  } catch (err) {
    if (err instanceof DecodeError) {
      throw new CorruptionError(file, fileOffset, `bad write batch: ${err.message}`);
    }
    throw err;
  }
}
