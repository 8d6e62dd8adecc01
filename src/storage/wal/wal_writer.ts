/**
 * The engine's write-ahead log: write batches framed by the shared record
 * format (docs/formats.md#records, payload docs/formats.md#write-batch). One
 * `appendGroup` is one file append; `sync` is one fdatasync.
 */
import type { File } from "../../platform/types.ts";
import { RecordWriter } from "../../util/record_format.ts";

export class WalWriter {
  readonly #writer: RecordWriter;
  /** Bytes appended; `syncedBytes` of them are known durable. */
  appendedBytes: number;
  syncedBytes: number;

  constructor(readonly file: File, readonly number: number) {
    this.appendedBytes = file.size();
    this.syncedBytes = this.appendedBytes;
    this.#writer = new RecordWriter(this.appendedBytes);
  }

  /** Frames every payload and appends them with one write. */
  appendGroup(payloads: readonly Uint8Array[]): void {
    for (const p of payloads) this.#writer.append(p);
    const bytes = this.#writer.take();
    this.file.append(bytes);
    this.appendedBytes += bytes.length;
  }

  #inflight: Promise<void> | undefined;

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
