/**
 * A fixed-size ring of numbered samples (the metrics history behind the
 * dashboard's charts): pushing past the capacity forgets the oldest, so the
 * memory used is bounded however long the node runs.
 */
import { assert } from "../../util/assert.ts";

export class SampleRing<T extends { readonly seq: number }> {
  readonly #items: (T | undefined)[];
  /** Where the next push goes. */
  #next = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity > 0, "a ring holds at least one sample");
    this.#items = new Array<T | undefined>(capacity).fill(undefined);
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.capacity;
    this.#size = Math.min(this.capacity, this.#size + 1);
  }

  /** The samples numbered above `seq`, oldest first (all of them for `since(0)`). */
  since(seq: number): T[] {
    const out: T[] = [];
    const first = (this.#next - this.#size + this.capacity) % this.capacity;
    for (let i = 0; i < this.#size; i++) {
      const item = this.#items[(first + i) % this.capacity];
      if (item !== undefined && item.seq > seq) out.push(item);
    }
    return out;
  }
}
