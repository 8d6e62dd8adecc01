/**
 * The memtable's ordered index: a skiplist of entries in internal-key order
 * (user key ascending, sequence descending). Single-threaded JS needs no
 * atomics; a node is linked bottom-up, so an iterator that is between steps
 * never sees a half-inserted node. Heights come from an injected PRNG.
 */
import type { Prng } from "../../util/prng.ts";
import { compareParts } from "../internal_key.ts";
import type { ValueKind } from "../internal_key.ts";

/** Tallest tower; 4^12 = 16M entries before search degrades. */
export const SKIPLIST_HEIGHT_MAX = 12;

export class SkipNode {
  readonly next: (SkipNode | null)[];
  constructor(
    readonly key: Uint8Array,
    readonly seq: number,
    readonly kind: ValueKind,
    readonly value: Uint8Array,
    height: number,
  ) {
    this.next = new Array<SkipNode | null>(height).fill(null);
  }
}

export class SkipList {
  readonly head = new SkipNode(new Uint8Array(0), 0, 0, new Uint8Array(0), SKIPLIST_HEIGHT_MAX);
  #height = 1;
  #count = 0;
  readonly #prev: SkipNode[] = new Array<SkipNode>(SKIPLIST_HEIGHT_MAX).fill(this.head);

  constructor(readonly prng: Prng) {}

  get count(): number {
    return this.#count;
  }

  #randomHeight(): number {
    let h = 1;
    let bits = this.prng.nextU32();
    while (h < SKIPLIST_HEIGHT_MAX && (bits & 3) === 0) {
      h++;
      bits >>>= 2;
    }
    return h;
  }

  insert(key: Uint8Array, seq: number, kind: ValueKind, value: Uint8Array): void {
    const prev = this.#prev;
    let x = this.head;
    for (let level = this.#height - 1; level >= 0; level--) {
      for (;;) {
        const n = x.next[level];
        if (n === null || compareParts(n.key, n.seq, key, seq) >= 0) break;
        x = n;
      }
      prev[level] = x;
    }
    const h = this.#randomHeight();
    for (let level = this.#height; level < h; level++) prev[level] = this.head;
    if (h > this.#height) this.#height = h;
    const node = new SkipNode(key, seq, kind, value, h);
    for (let level = 0; level < h; level++) {
      node.next[level] = prev[level].next[level];
      prev[level].next[level] = node;
    }
    this.#count++;
  }

  /** First node at or after (key, seq), or null. */
  seek(key: Uint8Array, seq: number): SkipNode | null {
    let x = this.head;
    for (let level = this.#height - 1; level >= 0; level--) {
      for (;;) {
        const n = x.next[level];
        if (n === null || compareParts(n.key, n.seq, key, seq) >= 0) break;
        x = n;
      }
    }
    return x.next[0];
  }

  /** Last node strictly before (key, seq), or null. */
  seekBefore(key: Uint8Array, seq: number): SkipNode | null {
    let x = this.head;
    for (let level = this.#height - 1; level >= 0; level--) {
      for (;;) {
        const n = x.next[level];
        if (n === null || compareParts(n.key, n.seq, key, seq) >= 0) break;
        x = n;
      }
    }
    return x === this.head ? null : x;
  }

  /** Last node, or null. */
  last(): SkipNode | null {
    let x = this.head;
    for (let level = this.#height - 1; level >= 0; level--) {
      for (;;) {
        const n = x.next[level];
        if (n === null) break;
        x = n;
      }
    }
    return x === this.head ? null : x;
  }
}
