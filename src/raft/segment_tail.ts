/**
 * The segment file a log is appending to: records framed in the shared
 * record format, zeros written ahead of them in steps (decisions/0007, as
 * log_store.ts does), the offset known to be on disk, and the cut back to it
 * after a full disk (decisions/0005). Used by the multi-region log
 * (multi_log_store.ts); it owns no policy (when to sync, roll or retry).
 */
import { assert } from "../util/assert.ts";
import { RecordWriter } from "../util/record_format.ts";
import type { File } from "../platform/types.ts";

export class SegmentTail {
  readonly file: File;
  readonly #zeros: Uint8Array;
  #writer: RecordWriter;
  /** Bytes of the file known to be on disk (fsynced). */
  #syncedBytes: number;
  /** Size of the file: written records plus the zeros ahead of them. */
  #allocatedBytes: number;

  /** `file` holds whole records only (its torn tail and zeros were cut). */
  constructor(file: File, zerosStep: number) {
    assert(Number.isSafeInteger(zerosStep) && zerosStep >= 0, "preallocateBytes");
    this.file = file;
    this.#zeros = new Uint8Array(zerosStep);
    this.#writer = new RecordWriter(file.size());
    this.#syncedBytes = file.size();
    this.#allocatedBytes = file.size();
  }

  /** Logical size of the file once pending records are written. */
  get recordBytes(): number {
    return this.#writer.fileBytes;
  }

  /** Bytes of records written to the file (pending ones excluded). */
  get writtenBytes(): number {
    return this.#writer.fileBytes - this.#writer.pendingBytes;
  }

  get syncedBytes(): number {
    return this.#syncedBytes;
  }

  /** Frames a record; it reaches the file with the next `flush`. */
  append(payload: Uint8Array): void {
    this.#writer.append(payload);
  }

  /**
   * Frames a record made of `parts` (a large entry's, read where it lies), writing it to the
   * file as it is framed: a large record never sits framed whole in memory. What is written is
   * on disk only once synced, as with `flush`.
   */
  appendParts(parts: readonly Uint8Array[]): void {
    this.flush();
    this.#writer.appendParts(parts, (at, framed) => this.#write(at, framed));
  }

  /** Writes pending records, and zeros up to the next step boundary if they crossed the last. */
  flush(): void {
    if (this.#writer.pendingBytes === 0) return;
    const at = this.writtenBytes;
    this.#write(at, this.#writer.take());
  }

  #write(at: number, data: Uint8Array): void {
    this.file.write(at, data);
    const end = at + data.length;
    const step = this.#zeros.length;
    if (end > this.#allocatedBytes && step > 0) {
      const target = (Math.floor(end / step) + 1) * step;
      this.file.write(end, this.#zeros.subarray(0, target - end));
      this.#allocatedBytes = target;
    }
  }

  /** fdatasyncs what was written; `blocking`: on this thread where the file can (File.syncNow). */
  async sync(blocking = false): Promise<void> {
    const written = this.writtenBytes;
    if (blocking && this.file.syncNow !== undefined) this.file.syncNow();
    else await this.file.sync();
    this.#syncedBytes = written;
  }

  /** Cuts the zeros off (before a roll: only the last segment may end in anything but records). */
  cutZeros(): void {
    this.file.truncate(this.writtenBytes);
    this.#allocatedBytes = this.writtenBytes;
  }

  /**
   * After a full disk: cuts the file back to its last fsynced offset and fsyncs
   * the cut; pending and unsynced records are dropped (the caller writes again
   * what memory still needs). A failed fsync is never retried over the same bytes.
   */
  async rewind(): Promise<void> {
    this.file.truncate(this.#syncedBytes);
    this.#allocatedBytes = this.#syncedBytes;
    await this.file.sync();
    this.#writer = new RecordWriter(this.#syncedBytes);
  }

  close(): void {
    this.file.close();
  }
}
