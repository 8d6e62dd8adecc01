/**
 * The checksummed record format shared by every log in TinyKV: the storage
 * engine's WAL, its manifest, and the Raft log segments. It is leveldb's log
 * format (doc/log_format.md); the byte layout is in docs/formats.md#records.
 *
 *   file   := block*            (32 KiB blocks; the last may be short)
 *   block  := physical* padding (padding: < 7 zero bytes that cannot hold a header)
 *   physical := crc:fixed32 (masked CRC32C of type byte + data)
 *               length:fixed16 (LE) type:u8 data[length]
 *
 * A logical record that does not fit in the rest of a block is split into
 * FIRST, MIDDLE…, LAST fragments; one that fits is FULL. Because fragments never
 * cross a block boundary, a reader can resynchronise at the next block after
 * damage, which is how it tells a torn tail (nothing valid after the damage:
 * the crash interrupted the last write, so truncate there) from corruption in
 * the middle (valid records after the damage: report, never skip silently).
 */
import { assert } from "./assert.ts";
import { concatBytes } from "./bytes.ts";
import { ByteWriter, readFixed32 } from "./coding.ts";
import { crc32cExtend, maskCrc } from "./crc32c.ts";
import { CorruptionError } from "./errors.ts";

/** Block size. Written to disk: changing it breaks every existing log. */
export const RECORD_BLOCK_BYTES = 32 * 1024;

/** Bytes of a physical record header: crc (4) + length (2) + type (1). */
export const RECORD_HEADER_BYTES = 7;

/** Physical record types. Written to disk: never renumber, never reuse. */
export const RecordType = {
  /** Reserved for preallocated (zeroed) space; never written. */
  Zero: 0,
  Full: 1,
  First: 2,
  Middle: 3,
  Last: 4,
} as const;
export type RecordType = typeof RecordType[keyof typeof RecordType];

/** CRC of each type byte alone, precomputed (the CRC covers type + data). */
const TYPE_CRC: readonly number[] = [0, 1, 2, 3, 4].map((t) =>
  crc32cExtend(0, new Uint8Array([t]))
);

/** Framed bytes a streamed record (`appendParts` with a sink) gathers before handing them on. */
const RECORD_STREAM_BYTES = 512 * 1024;

/** Calls `fn` on each part's piece of the bytes [from, from + n) of `parts` taken as one run. */
function eachRange(
  parts: readonly Uint8Array[],
  from: number,
  n: number,
  fn: (part: Uint8Array, start: number, end: number) => void,
): void {
  let base = 0;
  for (const p of parts) {
    const s = Math.max(from - base, 0), e = Math.min(from + n - base, p.length);
    if (s < e) fn(p, s, e);
    base += p.length;
    if (base >= from + n) return;
  }
}

/**
 * Frames logical records into physical ones. The caller appends the bytes
 * from `take()` to the file, in order, and nothing else.
 */
export class RecordWriter {
  readonly #out = new ByteWriter(4096);
  #fileBytes: number;

  /** `fileBytes`: the size of the file the output will be appended to. */
  constructor(fileBytes = 0) {
    assert(Number.isSafeInteger(fileBytes) && fileBytes >= 0, "RecordWriter file size");
    this.#fileBytes = fileBytes;
  }

  /** Logical size of the file once pending bytes are appended. */
  get fileBytes(): number {
    return this.#fileBytes;
  }

  get pendingBytes(): number {
    return this.#out.length;
  }

  /** Frames `payload`; returns the file offset where the record starts. */
  append(payload: Uint8Array): number {
    return this.appendParts([payload]);
  }

  /**
   * Frames the record whose payload is `parts` one after another, read where they lie (a large
   * Raft entry is never copied into one payload first). Without `sink` the framed bytes stay
   * pending for `take()`, in one buffer sized up front (no ladder of doubling copies). With it,
   * they are handed to `sink` with their file offset each time RECORD_STREAM_BYTES gather, so a
   * large record is never held framed whole; what is left stays pending. Returns the file
   * offset where the record starts.
   */
  appendParts(
    parts: readonly Uint8Array[],
    sink?: (offset: number, framed: Uint8Array) => void,
  ): number {
    let size = 0;
    for (const p of parts) size += p.length;
    if (sink === undefined) {
      const headers = Math.ceil(size / (RECORD_BLOCK_BYTES - RECORD_HEADER_BYTES)) + 1;
      this.#out.reserve(size + headers * RECORD_HEADER_BYTES + RECORD_HEADER_BYTES);
    }
    let start = -1;
    let at = 0;
    // Not `at === 0`: a block with exactly a header's room left takes an empty FIRST fragment.
    let first = true;
    do {
      const blockLeft = RECORD_BLOCK_BYTES - (this.#fileBytes % RECORD_BLOCK_BYTES);
      if (blockLeft < RECORD_HEADER_BYTES) {
        for (let i = 0; i < blockLeft; i++) this.#out.u8(0);
        this.#fileBytes += blockLeft;
        continue;
      }
      if (start < 0) start = this.#fileBytes;
      const fragBytes = Math.min(size - at, blockLeft - RECORD_HEADER_BYTES);
      const last = at + fragBytes === size;
      const type = first && last
        ? RecordType.Full
        : first
        ? RecordType.First
        : last
        ? RecordType.Last
        : RecordType.Middle;
      this.#emit(type, parts, at, fragBytes);
      at += fragBytes;
      first = false;
      if (sink !== undefined && this.#out.length >= RECORD_STREAM_BYTES) {
        sink(this.#fileBytes - this.#out.length, this.#out.view());
        this.#out.reset();
      }
    } while (at < size || start < 0);
    return start;
  }

  #emit(type: RecordType, parts: readonly Uint8Array[], from: number, n: number): void {
    let crc = TYPE_CRC[type];
    const one = parts.length === 1 ? parts[0] : undefined; // every record but a large entry's
    if (one !== undefined) crc = crc32cExtend(crc, one, from, from + n);
    else eachRange(parts, from, n, (p, s, e) => crc = crc32cExtend(crc, p, s, e));
    this.#out.fixed32(maskCrc(crc)).u8(n & 0xff).u8(n >>> 8).u8(type);
    if (one !== undefined) this.#out.bytes(one.subarray(from, from + n));
    else eachRange(parts, from, n, (p, s, e) => this.#out.bytes(p.subarray(s, e)));
    this.#fileBytes += RECORD_HEADER_BYTES + n;
  }

  /** The framed bytes appended since the last `take()`, for the caller to keep. */
  take(): Uint8Array {
    return this.#out.take();
  }
}

/** One logical record and the file offset of its first physical record. */
export interface LogRecord {
  readonly offset: number;
  /** May be a view into the buffer given to the reader. */
  readonly payload: Uint8Array;
}

/** Why the readable part of a file ended before its last byte. */
export interface TornTail {
  /** Truncate the file to this many bytes to drop the torn record. */
  readonly offset: number;
  readonly reason: string;
}

/**
 * Reads logical records from the bytes of a whole file. `next()` returns
 * records in order, then `undefined`. When it stops early, `tornTail` says
 * where and why; damage followed by valid records throws `CorruptionError`.
 */
export class RecordReader {
  #at = 0;
  #tornTail: TornTail | null = null;
  #done = false;

  constructor(readonly bytes: Uint8Array, readonly fileName: string) {}

  /** Set once `next()` has returned `undefined` because of a torn tail. */
  get tornTail(): TornTail | null {
    return this.#tornTail;
  }

  /** Bytes of the file that hold whole, valid records (the truncation point). */
  get validBytes(): number {
    return this.#tornTail ? this.#tornTail.offset : this.#at;
  }

  next(): LogRecord | undefined {
    if (this.#done) return undefined;
    let parts: Uint8Array[] | null = null;
    let recordStart = -1;
    for (;;) {
      const at = this.#at;
      const p = this.#readPhysical();
      if (p === "eof") {
        if (parts !== null) return this.#stop(recordStart, at, "record missing its LAST fragment");
        this.#done = true;
        return undefined;
      }
      if (typeof p === "string") return this.#stop(recordStart >= 0 ? recordStart : at, at, p);
      if (p.type === RecordType.Full || p.type === RecordType.First) {
        // A valid fragment that starts a record cannot follow a torn write: corruption.
        if (parts !== null) return this.#corrupt(recordStart, "record interrupted by a new record");
        recordStart = p.offset;
        if (p.type === RecordType.Full) return { offset: p.offset, payload: p.data };
        parts = [p.data];
        continue;
      }
      if (parts === null) return this.#corrupt(p.offset, "MIDDLE/LAST fragment without FIRST");
      parts.push(p.data);
      if (p.type === RecordType.Last) return { offset: recordStart, payload: concatBytes(parts) };
    }
  }

  #corrupt(offset: number, reason: string): never {
    this.#done = true;
    throw new CorruptionError(this.fileName, offset, reason);
  }

  /**
   * Reading failed at `failedAt`. A crash can only tear the end of a file,
   * so any valid record in a later block means the damage is in the middle:
   * corruption. Otherwise it is a torn tail; truncating at `truncateAt` (the
   * start of the broken record) drops it.
   */
  #stop(truncateAt: number, failedAt: number, reason: string): undefined {
    this.#done = true;
    const resync = this.#validRecordAfter(failedAt);
    if (resync >= 0) {
      throw new CorruptionError(this.fileName, failedAt, `${reason} (valid record at ${resync})`);
    }
    this.#tornTail = { offset: truncateAt, reason };
    return undefined;
  }

  /** Offset of the first valid physical record in a block after `offset`, or -1. */
  #validRecordAfter(offset: number): number {
    const B = RECORD_BLOCK_BYTES;
    for (let block = (Math.floor(offset / B) + 1) * B; block < this.bytes.length; block += B) {
      this.#at = block;
      const p = this.#readPhysical();
      if (typeof p === "object") return p.offset;
    }
    return -1;
  }

  #readPhysical(): Physical | "eof" | string {
    const B = RECORD_BLOCK_BYTES;
    const bytes = this.bytes;
    let blockLeft = B - (this.#at % B);
    if (blockLeft < RECORD_HEADER_BYTES) {
      for (let i = this.#at; i < this.#at + blockLeft && i < bytes.length; i++) {
        if (bytes[i] !== 0) return `non-zero block trailer at ${i}`;
      }
      this.#at += blockLeft;
      blockLeft = B;
    }
    const at = this.#at;
    if (at >= bytes.length) return "eof";
    if (bytes.length - at < RECORD_HEADER_BYTES) return "truncated record header";
    const length = bytes[at + 4] | (bytes[at + 5] << 8);
    const type = bytes[at + 6];
    if (type < RecordType.Full || type > RecordType.Last) return `bad record type ${type}`;
    if (RECORD_HEADER_BYTES + length > blockLeft) return `record length ${length} crosses block`;
    const dataStart = at + RECORD_HEADER_BYTES;
    if (dataStart + length > bytes.length) return "truncated record data";
    const want = readFixed32(bytes, at);
    const got = maskCrc(crc32cExtend(TYPE_CRC[type], bytes, dataStart, dataStart + length));
    if (want !== got) return "record checksum mismatch";
    this.#at = dataStart + length;
    return { offset: at, type, data: bytes.subarray(dataStart, dataStart + length) };
  }
}

interface Physical {
  readonly offset: number;
  readonly type: number;
  readonly data: Uint8Array;
}

/** Reads every record; returns them with the torn tail, if any. Throws on corruption. */
export function readAllRecords(
  bytes: Uint8Array,
  fileName: string,
): { records: LogRecord[]; tornTail: TornTail | null; validBytes: number } {
  const reader = new RecordReader(bytes, fileName);
  const records: LogRecord[] = [];
  for (let r = reader.next(); r !== undefined; r = reader.next()) records.push(r);
  return { records, tornTail: reader.tornTail, validBytes: reader.validBytes };
}
