/**
 * Write marks: a flag the engine raises when a write puts or deletes any key of a range. Its
 * owner uses it to know a range it found empty is still empty without reading it again — the
 * lock namespace of transactions across regions, which every linearizable read must check and
 * which is empty nearly always (src/server/node/read_locks.ts). A scan of an empty range still
 * seeks every memtable and table; a mark costs a write one or two byte compares per entry while
 * it is down, and nothing once raised.
 *
 * The flag is raised as a batch becomes visible (its sequence published: after the fsync with
 * `sync: "always"`), in the same step, so no read sees the write with the flag down; it
 * starts raised (what the range holds is not known until its owner looks). Only its owner lowers
 * it, right after a synchronous read found the range empty: nothing is written between the two.
 */
import type { EncodedBatch } from "./write_batch.ts";

export class WriteMark {
  /** Raised: a key of the range may have been written since the owner last lowered it. */
  touched = true;

  constructor(readonly start: Uint8Array, readonly end: Uint8Array) {}
}

/** Raises every lowered mark that one of the batch's keys falls in. */
export function markBatch(marks: readonly WriteMark[], b: EncodedBatch): void {
  for (const mark of marks) {
    if (mark.touched) continue;
    for (let i = 0; i < b.count; i++) {
      const at = b.offsets[4 * i], length = b.offsets[4 * i + 1];
      if (
        compareAt(b.payload, at, length, mark.start) >= 0 &&
        compareAt(b.payload, at, length, mark.end) < 0
      ) {
        mark.touched = true;
        break;
      }
    }
  }
}

/** Compares the key at `payload[at, at + length)` with `other`, byte-wise, without a copy. */
function compareAt(payload: Uint8Array, at: number, length: number, other: Uint8Array): number {
  const n = Math.min(length, other.length);
  for (let i = 0; i < n; i++) {
    const d = payload[at + i] - other[i];
    if (d !== 0) return d;
  }
  return length - other.length;
}
