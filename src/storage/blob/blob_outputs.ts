/**
 * The blob side of one flush or compaction (docs/storage.md "Blob files"): writes the values
 * it keeps apart from the tables, copies live values out of mostly-dead blob files, counts the
 * records whose references the job drops, and notes which blob files each output table
 * references (the manifest keeps that list: garbage collection deletes a blob file once no
 * table of a live version names it).
 */
import { BLOB_FILE_BYTES_TARGET } from "../../limits_storage.ts";
import type { OutputHost } from "../compaction/output_set.ts";
import type { BlobPolicy } from "../compaction/output_set.ts";
import { isFeedRange } from "../compaction/table_cuts.ts";
import { blobName, join } from "../version/file_names.ts";
import { BlobFiles } from "./blob_files.ts";
import {
  BAD_REF,
  blobRecordBytes,
  type BlobRef,
  decodeBlobRefRange,
  type MutableBlobRef,
  readBlobRef,
} from "./blob_ref.ts";
import { CorruptionError } from "../../util/errors.ts";
import { type BlobFileMeta, BlobWriter } from "./blob_writer.ts";

const WHERE = "a compaction input's blob reference";

export class BlobOutputs {
  /** Blob files finished, in the order they were. */
  readonly files: BlobFileMeta[] = [];
  /** Bytes of records no longer referenced, by blob file. */
  readonly garbage = new Map<number, number>();
  /** The file being written per class: 0 for most values, 1 for change-feed values. */
  readonly #writers: (BlobWriter | undefined)[] = [undefined, undefined];
  readonly #numbers: number[] = [];
  readonly #relocate: ReadonlySet<number>;
  #reader: BlobFiles | undefined;
  /** Blob files the table being written references, and the bytes of its records. */
  #tableBlobs = new Set<number>();
  #tableBytes = 0;
  /** The file the last noted reference named (runs of one file skip the set). */
  #lastFile = -1;
  /** Where the references this job reads are decoded (one object for the whole job). */
  readonly #ref: MutableBlobRef = { file: 0, offset: 0, length: 0, rawLength: 0 };

  constructor(readonly host: OutputHost, readonly policy: BlobPolicy) {
    this.#relocate = new Set(policy.relocate);
  }

  /** Whether a put value of `length` bytes goes to a blob file. */
  separates(length: number): boolean {
    return this.policy.minBytes > 0 && length >= this.policy.minBytes;
  }

  /** The open writer for a key's class with room left, or undefined (then `put` opens one). */
  openWriterFor(kbuf: Uint8Array, koff: number, klen: number): BlobWriter | undefined {
    const w = this.#writers[isFeedRange(this.policy.cuts, kbuf, koff, klen) ? 1 : 0];
    return w !== undefined && w.size < BLOB_FILE_BYTES_TARGET ? w : undefined;
  }

  /** Appends a value to `writer`; returns its reference's length in `writer.ref`. */
  putInto(writer: BlobWriter, v: Uint8Array, off: number, len: number): number {
    const n = writer.append(v, off, len);
    if (writer.number !== this.#lastFile) {
      this.#tableBlobs.add(writer.number);
      this.#lastFile = writer.number;
    }
    this.#tableBytes += writer.lastRecordBytes;
    return n;
  }

  /** Writes `value` to its class's blob file; returns its reference (valid until the next). */
  async put(key: Uint8Array, value: Uint8Array): Promise<Uint8Array> {
    const w = this.openWriterFor(key, 0, key.length) ?? await this.#startWriter(key);
    return w.ref.subarray(0, this.putInto(w, value, 0, value.length));
  }

  /**
   * A kept entry's reference, noted for its table: true when the output holds it as it is,
   * false when its file is being emptied (then `relocate` gives the output's reference). The
   * compaction's common case, so synchronous and without an object per entry.
   */
  keep(ref: Uint8Array): boolean {
    return this.keepRange(ref, 0, ref.length);
  }

  /** `keep` for the reference `buf[off, off+len)` (an input block's bytes: no view made). */
  keepRange(buf: Uint8Array, off: number, len: number): boolean {
    const r = this.#ref;
    if (!decodeBlobRefRange(buf, off, len, r)) throw new CorruptionError(WHERE, 0, BAD_REF);
    if (this.#relocate.has(r.file)) return false;
    if (r.file !== this.#lastFile) {
      this.#tableBlobs.add(r.file);
      this.#lastFile = r.file;
    }
    this.#tableBytes += blobRecordBytes(r.length);
    return true;
  }

  /** The new reference of a value in a file being emptied, copied into this job's file. */
  async relocate(key: Uint8Array, ref: Uint8Array): Promise<Uint8Array> {
    const r = readBlobRef(ref, WHERE, this.#ref);
    this.#reader ??= new BlobFiles(this.host.fs, this.host.dir);
    const value = this.#reader.read(r.file, r.offset, r.length, r.rawLength);
    this.#addGarbage(r);
    return await this.put(key, value);
  }

  /** A dropped entry's reference: its record is garbage now. */
  dropRef(ref: Uint8Array): void {
    this.#addGarbage(readBlobRef(ref, WHERE, this.#ref));
  }

  #addGarbage(r: BlobRef): void {
    this.garbage.set(r.file, (this.garbage.get(r.file) ?? 0) + blobRecordBytes(r.length));
  }

  /** The finished table's blob references, or undefined for none (and starts the next). */
  takeTableRefs(): { blobs: number[]; blobBytes: number } | undefined {
    if (this.#tableBlobs.size === 0) return undefined;
    const blobs = [...this.#tableBlobs].sort((a, b) => a - b), blobBytes = this.#tableBytes;
    this.#tableBlobs = new Set();
    this.#tableBytes = 0;
    this.#lastFile = -1;
    return { blobs, blobBytes };
  }

  async #startWriter(key: Uint8Array): Promise<BlobWriter> {
    const cls = isFeedRange(this.policy.cuts, key, 0, key.length) ? 1 : 0;
    const full = this.#writers[cls];
    if (full !== undefined) {
      this.#writers[cls] = undefined;
      this.files.push(await full.finish());
    }
    const number = await this.host.newTableNumber();
    this.#numbers.push(number);
    const file = this.host.fs.open(join(this.host.dir, blobName(number)), {
      create: true,
      truncate: true,
    });
    const w = new BlobWriter(file, number, this.host.compression);
    this.#writers[cls] = w;
    return w;
  }

  /** Finishes (fsyncs) the open blob files; the caller fsyncs the directory. */
  async finish(): Promise<void> {
    for (let i = 0; i < this.#writers.length; i++) {
      const w = this.#writers[i];
      this.#writers[i] = undefined;
      if (w !== undefined) this.files.push(await w.finish());
    }
    this.#reader?.closeAll();
  }

  /** The job failed or was abandoned: closes everything and gives the numbers back. */
  release(): void {
    for (const w of this.#writers) w?.abandon();
    this.#writers.fill(undefined);
    this.#reader?.closeAll();
    for (const n of this.#numbers) this.host.releaseTableNumber(n);
  }
}
