/**
 * Reassembles snapshots that peers send in chunks (one Snap RaftMessage per
 * chunk: the first carries the metadata and total size). The size is checked
 * against SNAPSHOT_BYTES_MAX before the buffer is allocated; a chunk out of
 * order discards the partial snapshot (the leader resends after a report).
 */
import type { RaftMessage } from "../gen/tinykv/v1/tinykv_pb.ts";
import { SNAPSHOT_BYTES_MAX } from "../limits.ts";
import { u64ToNumber } from "../util/ids.ts";
import { WireError } from "../wire/frame_codec.ts";

interface Partial {
  readonly first: RaftMessage;
  readonly data: Uint8Array;
  filled: number;
}

export class SnapshotAssembler {
  readonly #partial = new Map<number, Partial>();

  constructor(readonly bytesMax = SNAPSHOT_BYTES_MAX) {}

  /**
   * Adds a chunk from `from`; returns the first message and the whole data
   * when the snapshot is complete, else undefined.
   */
  add(from: number, m: RaftMessage): { first: RaftMessage; data: Uint8Array } | undefined {
    const offset = u64ToNumber(m.snapshotOffset, "snapshot offset");
    if (offset === 0) {
      const total = u64ToNumber(m.snapshotBytes, "snapshot size");
      if (total > this.bytesMax) {
        throw new WireError(`snapshot of ${total} bytes exceeds the ${this.bytesMax}-byte limit`);
      }
      this.#partial.set(from, { first: m, data: new Uint8Array(total), filled: 0 });
    }
    const p = this.#partial.get(from);
    if (p === undefined || offset !== p.filled) {
      this.#partial.delete(from);
      throw new WireError(`snapshot chunk at ${offset} out of order`);
    }
    if (p.filled + m.snapshotChunk.length > p.data.length) {
      this.#partial.delete(from);
      throw new WireError("snapshot chunk past the declared size");
    }
    p.data.set(m.snapshotChunk, p.filled);
    p.filled += m.snapshotChunk.length;
    if (!m.snapshotDone) return undefined;
    this.#partial.delete(from);
    if (p.filled !== p.data.length) throw new WireError("snapshot ended before its declared size");
    return { first: p.first, data: p.data };
  }

  /** Drops a partial snapshot (its connection closed). */
  forget(from: number): void {
    this.#partial.delete(from);
  }
}
