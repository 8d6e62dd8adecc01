/**
 * The ordered key-value store the Percolator state machine of one region runs over
 * (docs/transactions.md#the-store). In a node it is the engine seen through a region's apply
 * step (reads from the engine, writes into the entry's write batch); in tests and the
 * simulator, `MemoryTxnStore`.
 *
 * Every operation of src/txn/percolator.ts does all its reads and checks before its first write,
 * so a store that only collects writes into a batch (applied atomically after the operation)
 * behaves the same as one that writes through.
 */
import { compareBytes } from "../util/bytes.ts";

export interface TxnStore {
  get(key: Uint8Array): Uint8Array | undefined;
  /** The entries with start ≤ key < end, in key order; the caller may stop early. */
  scan(start: Uint8Array, end: Uint8Array): Iterable<readonly [Uint8Array, Uint8Array]>;
  put(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): void;
}

/** A sorted in-memory store: keys in memcmp order, binary search for every lookup. */
export class MemoryTxnStore implements TxnStore {
  readonly #keys: Uint8Array[] = [];
  readonly #values: Uint8Array[] = [];

  get size(): number {
    return this.#keys.length;
  }

  /** The index of the first key ≥ `key`. */
  #lowerBound(key: Uint8Array): number {
    let lo = 0, hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(this.#keys[mid], key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const i = this.#lowerBound(key);
    return i < this.#keys.length && compareBytes(this.#keys[i], key) === 0
      ? this.#values[i]
      : undefined;
  }

  *scan(start: Uint8Array, end: Uint8Array): Iterable<readonly [Uint8Array, Uint8Array]> {
    // Re-seek after each entry, so writes between two steps of the caller are seen safely.
    let i = this.#lowerBound(start);
    while (i < this.#keys.length && compareBytes(this.#keys[i], end) < 0) {
      const key = this.#keys[i];
      yield [key, this.#values[i]];
      i = this.#lowerBound(key);
      if (i < this.#keys.length && compareBytes(this.#keys[i], key) === 0) i++;
    }
  }

  put(key: Uint8Array, value: Uint8Array): void {
    const i = this.#lowerBound(key);
    if (i < this.#keys.length && compareBytes(this.#keys[i], key) === 0) {
      this.#values[i] = value.slice();
      return;
    }
    this.#keys.splice(i, 0, key.slice());
    this.#values.splice(i, 0, value.slice());
  }

  delete(key: Uint8Array): void {
    const i = this.#lowerBound(key);
    if (i < this.#keys.length && compareBytes(this.#keys[i], key) === 0) {
      this.#keys.splice(i, 1);
      this.#values.splice(i, 1);
    }
  }
}
