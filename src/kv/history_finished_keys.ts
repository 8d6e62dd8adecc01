/** The keys one history compaction pass has finished (history_compactor.ts). */
import { HISTORY_COMPACT_PASS_KEY_BYTES_MAX } from "../limits_ops.ts";

/**
 * The keys one pass (to one `upTo`) has finished. A finished key needs nothing more in that
 * pass: its index below `upTo` changes only through compaction. Records are read in batches of
 * at most HISTORY_COMPACT_BATCH, and a hot key has a change in nearly every batch; compacted
 * again, it was scanned from `upTo` over the tombstones of every change the first visit removed
 * and on through its whole compacted past, to find the one entry below `done` that visit had
 * already removed (issue 14: 1,000 keys under constant puts made each pass cost more than the
 * one before). Bounded by HISTORY_COMPACT_PASS_KEY_BYTES_MAX: keys past it are not remembered,
 * which costs a revisit, never a wrong result.
 */
export class FinishedKeys {
  readonly #keys = new Set<string>();
  #bytes = 0;

  constructor(readonly bytesMax: number = HISTORY_COMPACT_PASS_KEY_BYTES_MAX) {}

  has(text: string): boolean {
    return this.#keys.has(text);
  }

  add(text: string): void {
    if (this.#bytes + text.length > this.bytesMax) return;
    this.#keys.add(text);
    this.#bytes += text.length;
  }

  get size(): number {
    return this.#keys.size;
  }
}
