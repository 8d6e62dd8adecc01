/**
 * A blob reference: where a value kept apart from its table lies (docs/formats.md#blob-files).
 * A table entry of kind `BlobRef` holds one as its value:
 *
 *   ref := file:varint offset:varint length:varint
 *
 * `offset` is where the value's record starts in blob file `file` (its checksum), `length` the
 * value's own bytes. Records are never moved within a file, so a reference stays valid for as
 * long as the file lives.
 */
import { ByteReader, DecodeError, writeVarint } from "../../util/coding.ts";

export interface BlobRef {
  readonly file: number;
  readonly offset: number;
  readonly length: number;
}

/** A record's checksum, before the value: masked crc32c of the value, little-endian. */
export const BLOB_RECORD_HEADER_BYTES = 4;
/** The longest encoded reference: three varints of safe integers. */
export const BLOB_REF_BYTES_MAX = 24;

/** Encodes `ref` into `out` at 0; returns the length written. */
export function encodeBlobRef(out: Uint8Array, file: number, offset: number, length: number) {
  return writeVarint(out, writeVarint(out, writeVarint(out, 0, file), offset), length);
}

/** Decodes the reference in `bytes[off, off+len)`; DecodeError if it is not exactly one. */
export function decodeBlobRef(bytes: Uint8Array, off: number, len: number): BlobRef {
  const r = new ByteReader(bytes, off, off + len);
  const file = r.varint(), offset = r.varint(), length = r.varint();
  if (r.remaining !== 0) throw new DecodeError("bytes after a blob reference", r.offset);
  return { file, offset, length };
}

/** A reference decoded in place, for the compaction's loop (no object per entry). */
export interface MutableBlobRef {
  file: number;
  offset: number;
  length: number;
}

/**
 * `decodeBlobRef` into `out`; false when `bytes` is not exactly one reference (the caller
 * reports the corruption). Varints of at most 8 bytes, as ByteReader reads them.
 */
export function decodeBlobRefInto(bytes: Uint8Array, out: MutableBlobRef): boolean {
  let at = 0;
  const fields = [0, 0, 0];
  for (let f = 0; f < 3; f++) {
    let v = 0, mul = 1, i = 0;
    for (;;) {
      if (at >= bytes.length || i === 8) return false;
      const b = bytes[at++];
      v += (b & 0x7f) * mul;
      mul *= 128;
      i++;
      if (b < 0x80) break;
    }
    if (!Number.isSafeInteger(v)) return false;
    fields[f] = v;
  }
  if (at !== bytes.length) return false;
  out.file = fields[0];
  out.offset = fields[1];
  out.length = fields[2];
  return true;
}

/** The bytes a value takes in its blob file (record header included). */
export function blobRecordBytes(length: number): number {
  return BLOB_RECORD_HEADER_BYTES + length;
}
