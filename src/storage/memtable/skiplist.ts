/**
 * The memtable's ordered index: a skiplist of entries in internal-key order
 * (user key ascending, sequence descending). Single-threaded JS needs no
 * atomics; a node is linked bottom-up, so an iterator that is between steps
 * never sees a half-inserted node. Heights come from an injected PRNG.
 */
import type { Prng } from "../../util/prng.ts";
import type { ValueKind } from "../internal_key.ts";
import { before, prefixWord, Probe, type SearchKey } from "./search_key.ts";

export { compareNodes, keyHash, sameKey, sameNodeKeys, type SearchKey } from "./search_key.ts";

/** Tallest tower; 4^12 = 16M entries before search degrades. */
export const SKIPLIST_HEIGHT_MAX = 12;

/** prefixWord of three bytes all inside the key. */
function fullWord(buf: Uint8Array, at: number): number {
  return ((buf[at] + 1) * 257 + buf[at + 1] + 1) * 257 + buf[at + 2] + 1;
}

/**
 * One entry. Key and value are kept as (buffer, offset, length) into the batch they
 * arrived in, and the lower links are fields, so a typical entry costs one heap
 * object instead of five: less for the GC to trace and copy.
 */
export class SkipNode implements SearchKey {
  next0: SkipNode | null = null;
  /**
   * Levels 1 and 2 inline too: a search step up there then loads one object, not the
   * node and its array (15 in 16 nodes have height ≤ 2 and no array at all).
   */
  next1: SkipNode | null = null;
  next2: SkipNode | null = null;
  readonly k0: number;
  readonly k1: number;
  readonly k2: number;
  readonly k3: number;
  readonly k4: number;
  readonly k5: number;
  readonly height: number;
  /** Links at levels 3.. (null for nodes of height ≤ 3, 63 in 64). */
  readonly up: (SkipNode | null)[] | null;
  #key: Uint8Array | undefined;
  #value: Uint8Array | undefined;

  constructor(
    readonly seq: number,
    readonly kind: ValueKind,
    readonly buf: Uint8Array,
    readonly koff: number,
    readonly klen: number,
    readonly voff: number,
    readonly vlen: number,
    height: number,
  ) {
    const end = koff + klen;
    if (klen >= 15) {
      // Words 0–4 need no bounds test per byte (a batch's run makes a node per entry, and
      // this constructor was a sixth of a batch insert).
      this.k0 = fullWord(buf, koff);
      this.k1 = fullWord(buf, koff + 3);
      this.k2 = fullWord(buf, koff + 6);
      this.k3 = fullWord(buf, koff + 9);
      this.k4 = fullWord(buf, koff + 12);
    } else {
      this.k0 = prefixWord(buf, koff, end);
      this.k1 = prefixWord(buf, koff + 3, end);
      this.k2 = prefixWord(buf, koff + 6, end);
      this.k3 = prefixWord(buf, koff + 9, end);
      this.k4 = prefixWord(buf, koff + 12, end);
    }
    this.k5 = prefixWord(buf, koff + 15, end);
    this.height = height;
    this.up = height > 3 ? new Array<SkipNode | null>(height - 3).fill(null) : null;
  }

  /** The user key (a view, made on first use). */
  get key(): Uint8Array {
    return this.#key ??= this.buf.subarray(this.koff, this.koff + this.klen);
  }

  /** The value (a view, made on first use; empty for a deletion). */
  get value(): Uint8Array {
    return this.#value ??= this.buf.subarray(this.voff, this.voff + this.vlen);
  }

  /** A copy of the value the caller owns. */
  valueCopy(): Uint8Array {
    return this.buf.slice(this.voff, this.voff + this.vlen);
  }

  nextAt(level: number): SkipNode | null {
    if (level === 0) return this.next0;
    if (level === 1) return this.next1;
    if (level === 2) return this.next2;
    const up = this.up;
    return up === null ? null : up[level - 3];
  }

  setNext(level: number, n: SkipNode | null): void {
    if (level === 0) this.next0 = n;
    else if (level === 1) this.next1 = n;
    else if (level === 2) this.next2 = n;
    else if (this.up !== null) this.up[level - 3] = n;
  }
}

const EMPTY = new Uint8Array(0);

export class SkipList {
  readonly head = new SkipNode(0, 0, EMPTY, 0, 0, 0, 0, SKIPLIST_HEIGHT_MAX);
  #height = 1;
  #count = 0;
  readonly #prev: SkipNode[] = new Array<SkipNode>(SKIPLIST_HEIGHT_MAX).fill(this.head);
  /** Last node of each level: appends in key order (sequential loads) need no search. */
  readonly #tail: SkipNode[] = new Array<SkipNode>(SKIPLIST_HEIGHT_MAX).fill(this.head);
  readonly #probe = new Probe();

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

  /** Last node at each level before `p`, into #prev. */
  #findPrev(p: SearchKey): void {
    const prev = this.#prev;
    const last = this.#tail[0];
    if (last === this.head || before(last, p)) {
      for (let level = 0; level < this.#height; level++) prev[level] = this.#tail[level];
      return;
    }
    let x = this.head;
    for (let level = this.#height - 1; level >= 0; level--) {
      for (;;) {
        const n = x.nextAt(level);
        if (n === null || !before(n, p)) break;
        x = n;
      }
      prev[level] = x;
    }
  }

  /**
   * Inserts an entry whose key is `buf[koff, koff+klen)` and value `buf[voff, voff+vlen)`;
   * returns its node.
   */
  insert(
    seq: number,
    kind: ValueKind,
    buf: Uint8Array,
    koff: number,
    klen: number,
    voff: number,
    vlen: number,
  ): SkipNode {
    const node = this.node(seq, kind, buf, koff, klen, voff, vlen);
    this.#findPrev(node);
    this.#link(node);
    return node;
  }

  /** A node not yet in the list. */
  node(
    seq: number,
    kind: ValueKind,
    buf: Uint8Array,
    koff: number,
    klen: number,
    voff: number,
    vlen: number,
  ): SkipNode {
    return new SkipNode(seq, kind, buf, koff, klen, voff, vlen, this.#randomHeight());
  }

  /** Links `node` after #prev (its path); leaves #prev[l] = node below its height. */
  #link(node: SkipNode): void {
    const prev = this.#prev;
    const h = node.height;
    for (let level = this.#height; level < h; level++) prev[level] = this.head;
    if (h > this.#height) this.#height = h;
    for (let level = 0; level < h; level++) {
      const next = prev[level].nextAt(level);
      node.setNext(level, next);
      prev[level].setNext(level, node);
      if (next === null) this.#tail[level] = node;
      prev[level] = node;
    }
    this.#count++;
  }

  /** First node at or after (key, seq), or null. */
  seek(key: Uint8Array, seq: number): SkipNode | null {
    return this.#lastBefore(this.#probe.set(key, seq)).next0;
  }

  /** Last node strictly before `p` (a node of this list, say), or null. */
  seekBefore(p: SearchKey): SkipNode | null {
    const x = this.#lastBefore(p);
    return x === this.head ? null : x;
  }

  #lastBefore(p: SearchKey): SkipNode {
    let x = this.head;
    for (let level = this.#height - 1; level >= 0; level--) {
      for (;;) {
        const n = x.nextAt(level);
        if (n === null || !before(n, p)) break;
        x = n;
      }
    }
    return x;
  }

  /** Last node, or null. */
  last(): SkipNode | null {
    const t = this.#tail[0];
    return t === this.head ? null : t;
  }
}
