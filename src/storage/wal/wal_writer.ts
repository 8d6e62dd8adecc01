/**
 * The engine's write-ahead log: write batches framed in the shared record
 * format (docs/formats.md#records; payload docs/formats.md#write-batch). The
 * framing is done here into one reused buffer, the same bytes as
 * util/record_format's RecordWriter but without its per-record copies, so a
 * commit group costs one buffer fill, one `append` and (sync mode always) one
 * fdatasync. Read back with util/record_format's RecordReader.
 */
import type { File } from "../../platform/types.ts";
import { writeFixed32 } from "../../util/coding.ts";
import { crc32c, crc32cExtend, maskCrc } from "../../util/crc32c.ts";
import { RECORD_BLOCK_BYTES, RECORD_HEADER_BYTES, RecordType } from "../../util/record_format.ts";

const TYPE_CRC: readonly number[] = [0, 1, 2, 3, 4].map((t) => crc32c(new Uint8Array([t])));
const KEEP_BUFFER_BYTES = 1 << 20;
const ZEROS = new Uint8Array(64 * 1024);

/** Preallocation chunk for a WAL: a quarter of the memtable, 4 KiB to 4 MiB. */
export function walPrealloc(memtableBytes: number): number {
  return Math.min(4 << 20, Math.max(4 << 10, Math.floor(memtableBytes / 4)));
}

export class WalWriter {
  #buf = new Uint8Array(64 * 1024);
  #len = 0;
  /** Bytes appended; `syncedBytes` of them are known durable. */
  appendedBytes: number;
  syncedBytes: number;
  #inflight: Promise<void> | undefined;

  /** Bytes of the file written so far, records plus zeroed space ahead of them. */
  #allocated: number;

  /**
   * `file` is a new, empty WAL. `preallocBytes`: zeros are written ahead of the records
   * in chunks of this size, so that an fdatasync after an append rarely has to commit a
   * new file size as well (measured about 1.6× more syncs per second on this disk).
   * Replay treats an all-zero tail as unused space (the record format's type 0).
   */
  constructor(readonly file: File, readonly number: number, readonly preallocBytes: number) {
    this.appendedBytes = 0;
    this.syncedBytes = 0;
    this.#allocated = file.size();
  }

  #preallocate(upTo: number): void {
    while (this.#allocated < upTo) {
      const end = this.#allocated + Math.max(this.preallocBytes, upTo - this.#allocated);
      for (let at = this.#allocated; at < end; at += ZEROS.length) {
        this.file.write(at, ZEROS.subarray(0, Math.min(ZEROS.length, end - at)));
      }
      this.#allocated = end;
    }
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  #frame(p: Uint8Array): void {
    const B = RECORD_BLOCK_BYTES, H = RECORD_HEADER_BYTES;
    let at = 0;
    let first = true;
    do {
      let pos = this.appendedBytes + this.#len;
      let left = B - (pos % B);
      if (left < H) {
        this.#reserve(left);
        this.#buf.fill(0, this.#len, this.#len + left);
        this.#len += left;
        pos += left;
        left = B;
      }
      const n = Math.min(p.length - at, left - H);
      const last = at + n === p.length;
      const type = first
        ? (last ? RecordType.Full : RecordType.First)
        : (last ? RecordType.Last : RecordType.Middle);
      this.#reserve(H + n);
      const buf = this.#buf, o = this.#len;
      writeFixed32(buf, o, maskCrc(crc32cExtend(TYPE_CRC[type], p, at, at + n)));
      buf[o + 4] = n & 0xff;
      buf[o + 5] = n >>> 8;
      buf[o + 6] = type;
      buf.set(p.subarray(at, at + n), o + H);
      this.#len += H + n;
      at += n;
      first = false;
    } while (at < p.length);
  }

  /** Frames every payload and appends them with one write. */
  appendGroup(payloads: readonly Uint8Array[]): void {
    this.#len = 0;
    for (const p of payloads) this.#frame(p);
    if (this.preallocBytes > 0) this.#preallocate(this.appendedBytes + this.#len);
    this.file.write(this.appendedBytes, this.#buf.subarray(0, this.#len));
    this.appendedBytes += this.#len;
    if (this.#buf.length > KEEP_BUFFER_BYTES) this.#buf = new Uint8Array(64 * 1024);
  }

  /** One fdatasync covering every byte appended so far. */
  sync(): Promise<void> {
    const upTo = this.appendedBytes;
    const p = this.file.sync().then(() => {
      if (upTo > this.syncedBytes) this.syncedBytes = upTo;
    });
    this.#inflight = p;
    return p;
  }

  /** Waits for an in-flight sync (its error is the syncer's to report). */
  async idle(): Promise<void> {
    try {
      await this.#inflight;
    } catch {
      // reported by whoever started the sync
    }
  }

  close(): void {
    this.file.close();
  }
}
