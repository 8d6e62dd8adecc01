/**
 * The sliding window of append messages in flight to one follower: each slot
 * holds the last index a message carried and its size. The leader stops
 * sending when the window is full (by count or bytes) and frees slots as the
 * follower acknowledges indexes.
 */
import { assert } from "../../../util/assert.ts";

export class Inflights {
  readonly #size: number;
  readonly #maxBytes: number;
  #indexes: number[] = [];
  #sizes: number[] = [];
  #start = 0;
  #count = 0;
  #bytes = 0;

  constructor(size: number, maxBytes: number) {
    assert(size > 0, "inflights size must be positive");
    this.#size = size;
    this.#maxBytes = maxBytes;
  }

  get count(): number {
    return this.#count;
  }

  get bytes(): number {
    return this.#bytes;
  }

  full(): boolean {
    return this.#count >= this.#size || (this.#maxBytes > 0 && this.#bytes >= this.#maxBytes);
  }

  /** Records a message carrying entries up to `index`. Indexes must increase. */
  add(index: number, bytes: number): void {
    assert(!this.full(), "add to a full inflights window");
    const slot = (this.#start + this.#count) % this.#size;
    this.#indexes[slot] = index;
    this.#sizes[slot] = bytes;
    this.#count++;
    this.#bytes += bytes;
  }

  /** Frees every message whose last index is <= `to`. */
  freeLE(to: number): void {
    while (this.#count > 0) {
      const idx = this.#indexes[this.#start] ?? 0;
      if (idx > to) break;
      this.#bytes -= this.#sizes[this.#start] ?? 0;
      this.#start = (this.#start + 1) % this.#size;
      this.#count--;
    }
    if (this.#count === 0) this.#start = 0;
  }

  /** Frees the oldest message, if any. */
  freeFirstOne(): void {
    if (this.#count === 0) return;
    this.freeLE(this.#indexes[this.#start] ?? 0);
  }

  reset(): void {
    this.#start = 0;
    this.#count = 0;
    this.#bytes = 0;
  }
}
