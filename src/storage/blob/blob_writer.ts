/**
 * Writes one blob file (docs/formats.md#blob-files): the values a flush or compaction keeps
 * apart from its tables, each as a record `crc:u32le stored` (crc = masked crc32c of the stored
 * bytes), back to back; a value is stored LZ4-compressed under the `compression` option when
 * that saves an eighth, as a table block is (sstable/compression.ts), else as it is. A file has
 * no header, index or footer: the tables' references are its index, and the manifest edit that
 * adds the file, written after the file is fsynced, records its size.
 */
import type { File } from "../../platform/types.ts";
import { writeFixed32 } from "../../util/coding.ts";
import { crc32c, maskCrc } from "../../util/crc32c.ts";
import { BLOB_RECORD_HEADER_BYTES, BLOB_REF_BYTES_MAX, encodeBlobRef } from "./blob_ref.ts";
import { type BlockCompression, BlockType, compressBlock } from "../sstable/compression.ts";

/** What the manifest records of a blob file when it is added. */
export interface BlobFileMeta {
  readonly number: number;
  /** Bytes in the file, record headers included. */
  readonly size: number;
  /** Records in the file. */
  readonly count: number;
}

/** Records are gathered into writes of this size; a larger value is written by itself. */
const WRITE_BYTES = 1 << 20;

export class BlobWriter {
  /** The last appended value's reference: `ref[0, length)`, the length `append` returned. */
  readonly ref = new Uint8Array(BLOB_REF_BYTES_MAX);
  readonly #buf = new Uint8Array(WRITE_BYTES);
  #used = 0;
  #written = 0;
  count = 0;
  /** Bytes the last appended record takes in the file (checksum and stored bytes). */
  lastRecordBytes = 0;

  constructor(
    readonly file: File,
    readonly number: number,
    readonly compression: BlockCompression = "none",
  ) {}

  /** Bytes appended so far. */
  get size(): number {
    return this.#written + this.#used;
  }

  /** Appends `v[off, off+len)`; returns the length of its reference in `ref`. */
  append(v: Uint8Array, off: number, len: number): number {
    const stored = compressBlock(v.subarray(off, off + len), this.compression);
    if (stored.type === BlockType.Lz4) {
      const n = this.#appendStored(stored.bytes, 0, stored.bytes.length);
      return encodeBlobRef(this.ref, this.number, n, stored.bytes.length, len);
    }
    return encodeBlobRef(this.ref, this.number, this.#appendStored(v, off, len), len);
  }

  /** Appends one record of `v[off, off+len)`; returns where it starts. */
  #appendStored(v: Uint8Array, off: number, len: number): number {
    const at = this.size;
    const need = BLOB_RECORD_HEADER_BYTES + len;
    if (this.#used + need > this.#buf.length) this.#drain();
    const crc = maskCrc(crc32c(v, off, off + len));
    if (need > this.#buf.length) {
      const header = new Uint8Array(BLOB_RECORD_HEADER_BYTES);
      writeFixed32(header, 0, crc);
      this.file.write(this.#written, header);
      this.file.write(this.#written + BLOB_RECORD_HEADER_BYTES, v.subarray(off, off + len));
      this.#written += need;
    } else {
      const buf = this.#buf, p = this.#used + BLOB_RECORD_HEADER_BYTES;
      writeFixed32(buf, this.#used, crc);
      buf.set(v.subarray(off, off + len), p);
      this.#used += need;
    }
    this.count++;
    this.lastRecordBytes = need;
    return at;
  }

  #drain(): void {
    if (this.#used === 0) return;
    this.file.write(this.#written, this.#buf.subarray(0, this.#used));
    this.#written += this.#used;
    this.#used = 0;
  }

  /** Writes what is buffered, fsyncs and closes the file. */
  async finish(): Promise<BlobFileMeta> {
    this.#drain();
    try {
      await this.file.sync();
    } finally {
      this.file.close();
    }
    return { number: this.number, size: this.#written, count: this.count };
  }

  /** Closes the file unfinished (the job failed; garbage collection removes it). */
  abandon(): void {
    this.file.close();
  }
}
