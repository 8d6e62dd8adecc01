/**
 * The memtable's ordered index: a skiplist of entries in internal-key order
 * (user key ascending, sequence descending). Single-threaded JS needs no
 * atomics; a node is linked bottom-up, so an iterator that is between steps
 * never sees a half-inserted node. Heights come from an injected PRNG.
 */
import type { Prng } from "../../util/prng.ts";
import type { ValueKind } from "../internal_key.ts";

/**
 * The key as a string of code units 0–255, one per byte: JS compares such strings
 * natively in unsigned byte order, several times faster than a byte loop.
 */
export function byteString(key: Uint8Array): string {
  if (key.length <= 8192) return String.fromCharCode.apply(null, key as unknown as number[]);
  let s = "";
  for (let i = 0; i < key.length; i += 8192) s += byteString(key.subarray(i, i + 8192));
  return s;
}

/** True when node (nk, ns) sorts before (k, seq) in internal order. */
function before(nk: string, ns: number, k: string, seq: number): boolean {
  return nk < k || (nk === k && ns > seq);
}

/** Tallest tower; 4^12 = 16M entries before search degrades. */
export const SKIPLIST_HEIGHT_MAX = 12;

export class SkipNode {
  readonly next: (SkipNode | null)[];
  constructor(
    readonly skey: string,
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
  readonly head = new SkipNode("", new Uint8Array(0), 0, 0, new Uint8Array(0), SKIPLIST_HEIGHT_MAX);
  #height = 1;
  #count = 0;
  readonly #prev: SkipNode[] = new Array<SkipNode>(SKIPLIST_HEIGHT_MAX).fill(this.head);
  /** Last node of each level: appends in key order (sequential loads) need no search. */
  readonly #tail: SkipNode[] = new Array<SkipNode>(SKIPLIST_HEIGHT_MAX).fill(this.head);

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

  /** Inserts an entry and returns its node. */
  insert(
    skey: string,
    key: Uint8Array,
    seq: number,
    kind: ValueKind,
    value: Uint8Array,
  ): SkipNode {
    const prev = this.#prev;
    const last = this.#tail[0];
    if (last === this.head || before(last.skey, last.seq, skey, seq)) {
      for (let level = 0; level < this.#height; level++) prev[level] = this.#tail[level];
    } else {
      let x = this.head;
      for (let level = this.#height - 1; level >= 0; level--) {
        for (;;) {
          const n = x.next[level];
          if (n === null || !before(n.skey, n.seq, skey, seq)) break;
          x = n;
        }
        prev[level] = x;
      }
    }
    const h = this.#randomHeight();
    for (let level = this.#height; level < h; level++) prev[level] = this.head;
    if (h > this.#height) this.#height = h;
    const node = new SkipNode(skey, key, seq, kind, value, h);
    for (let level = 0; level < h; level++) {
      node.next[level] = prev[level].next[level];
      prev[level].next[level] = node;
      if (node.next[level] === null) this.#tail[level] = node;
    }
    this.#count++;
    return node;
  }

  /** First node at or after (key, seq), or null. */
  seek(skey: string, seq: number): SkipNode | null {
    let x = this.head;
    for (let level = this.#height - 1; level >= 0; level--) {
      for (;;) {
        const n = x.next[level];
        if (n === null || !before(n.skey, n.seq, skey, seq)) break;
        x = n;
      }
    }
    return x.next[0];
  }

  /** Last node strictly before (key, seq), or null. */
  seekBefore(skey: string, seq: number): SkipNode | null {
    let x = this.head;
    for (let level = this.#height - 1; level >= 0; level--) {
      for (;;) {
        const n = x.next[level];
        if (n === null || !before(n.skey, n.seq, skey, seq)) break;
        x = n;
      }
    }
    return x === this.head ? null : x;
  }

  /** Last node, or null. */
  last(): SkipNode | null {
    const t = this.#tail[0];
    return t === this.head ? null : t;
  }
}
