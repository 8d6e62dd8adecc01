/**
 * Merges sorted cursors into one, in one direction per positioning: `seek`
 * and `seekToFirst` start a forward pass (next only), `seekToLast` and
 * `seekBefore` a reverse pass (prev only). Scans and compactions never switch
 * direction midway, which keeps this a plain binary heap.
 */
import { assert } from "../../util/assert.ts";
import { compareParts, type ValueKind } from "../internal_key.ts";
import { type ByteSink, type Cursor, seekBeforeKey } from "./cursor.ts";

const EMPTY = new Uint8Array(0);

export class MergingCursor {
  readonly #heap: number[] = [];
  #forward = true;
  #cur: Cursor | undefined;
  /**
   * Each valid child's current key and sequence, read once per move of that child: the
   * heap compares them several times per step, and a call through the child (one of four
   * cursor kinds) per comparison was most of a scan's merge cost.
   */
  readonly #keys: Uint8Array[];
  readonly #seqs: number[];

  constructor(readonly children: readonly Cursor[]) {
    this.#keys = children.map(() => EMPTY);
    this.#seqs = children.map(() => 0);
  }

  /** <0 when child a should come out of the heap first. */
  #less(a: number, b: number): boolean {
    const c = compareParts(this.#keys[a], this.#seqs[a], this.#keys[b], this.#seqs[b]);
    if (c !== 0) return this.#forward ? c < 0 : c > 0;
    return a < b;
  }

  #load(i: number): void {
    const c = this.children[i];
    this.#keys[i] = c.key();
    this.#seqs[i] = c.seq();
  }

  #build(): void {
    const h = this.#heap;
    h.length = 0;
    for (let i = 0; i < this.children.length; i++) {
      if (this.children[i].valid()) {
        this.#load(i);
        h.push(i);
      }
    }
    for (let i = (h.length >> 1) - 1; i >= 0; i--) this.#down(i);
    this.#cur = h.length > 0 ? this.children[h[0]] : undefined;
  }

  #down(i: number): void {
    const h = this.#heap;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const m = r < n && this.#less(h[r], h[l]) ? r : l;
      if (!this.#less(h[m], h[i])) return;
      const t = h[m]; // not a destructuring swap: JSC may build an array for it
      h[m] = h[i];
      h[i] = t;
      i = m;
    }
  }

  valid(): boolean {
    return this.#cur !== undefined;
  }

  seekToFirst(): void {
    this.#forward = true;
    for (const c of this.children) c.seekToFirst();
    this.#build();
  }

  seek(key: Uint8Array, seq: number): void {
    this.#forward = true;
    for (const c of this.children) c.seek(key, seq);
    this.#build();
  }

  seekToLast(): void {
    this.seekBefore(undefined);
  }

  /** Last entry whose user key is < `end` (or the very last). Starts a reverse pass. */
  seekBefore(end: Uint8Array | undefined): void {
    this.#forward = false;
    for (const c of this.children) seekBeforeKey(c, end);
    this.#build();
  }

  #advance(): void {
    const h = this.#heap;
    const top = this.children[h[0]];
    if (this.#forward) top.next();
    else top.prev();
    if (!top.valid()) {
      const last = h.pop();
      if (h.length > 0 && last !== undefined) h[0] = last;
    } else this.#load(h[0]);
    if (h.length > 0) this.#down(0);
    this.#cur = h.length > 0 ? this.children[h[0]] : undefined;
  }

  next(): void {
    assert(this.#forward && this.#cur !== undefined, "next() on a reverse or ended merge");
    this.#advance();
  }

  prev(): void {
    assert(!this.#forward && this.#cur !== undefined, "prev() on a forward or ended merge");
    this.#advance();
  }

  #c(): Cursor {
    assert(this.#cur !== undefined, "merging cursor is not valid");
    return this.#cur;
  }
  key(): Uint8Array {
    this.#c();
    return this.#keys[this.#heap[0]];
  }
  seq(): number {
    this.#c();
    return this.#seqs[this.#heap[0]];
  }
  kind(): ValueKind {
    return this.#c().kind();
  }
  value(): Uint8Array {
    return this.#c().value();
  }
  copyValue(sink: ByteSink): Uint8Array {
    return this.#c().copyValue(sink);
  }
}
