/**
 * A blob reference: where a value kept apart from its table lies (docs/formats.md#blob-files).
 * A table entry of kind `BlobRef` holds one as its value:
 *
 *   ref := file:varint offset:varint length:varint [rawLength:varint]
 *
 * `offset` is where the value's record starts in blob file `file` (its checksum), `length` the
 * bytes stored after the checksum. Without `rawLength` they are the value; with it they are the
 * value LZ4-compressed as a block is (`raw_size:varint lz4_sequences`, sstable/compression.ts),
 * and `rawLength` is the value's size. Records are never moved within a file, so a reference
 * stays valid for as long as the file lives.
 */
import { writeVarint } from "../../util/coding.ts";
import { CorruptionError } from "../../util/errors.ts";

export interface BlobRef {
  readonly file: number;
  readonly offset: number;
  /** Bytes stored after the record's checksum. */
  readonly length: number;
  /** The value's size when stored compressed; 0 when the stored bytes are the value. */
  readonly rawLength: number;
}

/** A record's checksum, before the value: masked crc32c of the value, little-endian. */
export const BLOB_RECORD_HEADER_BYTES = 4;
/** The longest encoded reference: four varints of safe integers. */
export const BLOB_REF_BYTES_MAX = 32;

/**
 * Encodes a reference into `out` at 0 (`rawLength` 0: stored as is); returns the length
 * written.
 */
export function encodeBlobRef(
  out: Uint8Array,
  file: number,
  offset: number,
  length: number,
  rawLength = 0,
): number {
  const n = writeVarint(out, writeVarint(out, writeVarint(out, 0, file), offset), length);
  return rawLength === 0 ? n : writeVarint(out, n, rawLength);
}

/** The size of the value a reference names. */
export function blobValueLength(r: BlobRef): number {
  return r.rawLength === 0 ? r.length : r.rawLength;
}

/** The corruption reason for bytes that are not one reference. */
export const BAD_REF = "bad blob reference";

/** A reference decoded in place (the compaction's loop reuses one: no object per entry). */
export interface MutableBlobRef {
  file: number;
  offset: number;
  length: number;
  rawLength: number;
}

/**
 * Decodes the reference `bytes` into `out`; false when `bytes` is not exactly one reference.
 * Varints of at most 8 bytes, as ByteReader reads them; a `rawLength` present is never 0.
 */
export function decodeBlobRefInto(bytes: Uint8Array, out: MutableBlobRef): boolean {
  return decodeBlobRefRange(bytes, 0, bytes.length, out);
}

/**
 * `decodeBlobRefInto` for the reference `buf[off, off+len)`, where a compaction's input block
 * holds it: no view and no array per entry (the merge loop decodes one per kept entry).
 */
export function decodeBlobRefRange(
  buf: Uint8Array,
  off: number,
  len: number,
  out: MutableBlobRef,
): boolean {
  const end = off + len;
  let at = off, count = 0;
  out.rawLength = 0;
  while (at < end) {
    if (count === 4) return false;
    let v = 0, mul = 1, i = 0;
    for (;;) {
      if (at >= end || i === 8) return false;
      const b = buf[at++];
      v += (b & 0x7f) * mul;
      mul *= 128;
      i++;
      if (b < 0x80) break;
    }
    if (!Number.isSafeInteger(v)) return false;
    if (count === 0) out.file = v;
    else if (count === 1) out.offset = v;
    else if (count === 2) out.length = v;
    else if (v === 0) return false;
    else out.rawLength = v;
    count++;
  }
  return count >= 3;
}

/**
 * The reference `bytes` (decoded into `out` when given), or a CorruptionError naming `where`
 * (the table it came from) when it is not one.
 */
export function readBlobRef(
  bytes: Uint8Array,
  where: string,
  out: MutableBlobRef = { file: 0, offset: 0, length: 0, rawLength: 0 },
): BlobRef {
  if (!decodeBlobRefInto(bytes, out)) throw new CorruptionError(where, 0, BAD_REF);
  return out;
}

/** The bytes a value takes in its blob file (record header included). */
export function blobRecordBytes(length: number): number {
  return BLOB_RECORD_HEADER_BYTES + length;
}
