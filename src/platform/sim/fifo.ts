/**
 * A first-in, first-out queue with O(1) `push` and `shift`. A simulated
 * connection can hold hundreds of thousands of small chunks (a paused reader
 * behind a full window of one-byte writes), and `Array.prototype.shift` and
 * `splice` on an array that large copy it every time under V8: 400,000
 * one-byte writes to a paused reader took 51 s under Deno with arrays, 2 s
 * with this.
 */

/** Compact once this many slots at the front are dead and they are most of the array. */
const COMPACT_AFTER = 1024;

export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** The item `index` places from the front (0 is the first), or undefined. */
  at(index: number): T | undefined {
    return index < this.length ? this.#items[this.#head + index] : undefined;
  }

  last(): T | undefined {
    return this.length > 0 ? this.#items[this.#items.length - 1] : undefined;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Replaces the first item (what is left of it after a partial read or send). */
  replaceFirst(item: T): void {
    if (this.length === 0) throw new RangeError("replaceFirst on an empty Fifo");
    this.#items[this.#head] = item;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
