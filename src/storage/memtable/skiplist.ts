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

/**
 * One entry. Key and value are kept as (buffer, offset, length) into the batch they
 * arrived in, and the level-0 link is a field, so a typical entry costs two heap
 * objects (node and key string) instead of five: less for the GC to trace and copy.
 */
export class SkipNode {
  next0: SkipNode | null = null;
  /** Links at levels 1.. (null for height-1 nodes, three in four). */
  readonly up: (SkipNode | null)[] | null;
  #key: Uint8Array | undefined;
  #value: Uint8Array | undefined;

  constructor(
    readonly skey: string,
    readonly seq: number,
    readonly kind: ValueKind,
    readonly buf: Uint8Array,
    readonly koff: number,
    readonly klen: number,
    readonly voff: number,
    readonly vlen: number,
    height: number,
  ) {
    this.up = height > 1 ? new Array<SkipNode | null>(height - 1).fill(null) : null;
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
    const up = this.up;
    return up === null ? null : up[level - 1];
  }

  setNext(level: number, n: SkipNode | null): void {
    if (level === 0) this.next0 = n;
    else if (this.up !== null) this.up[level - 1] = n;
  }
}

const EMPTY = new Uint8Array(0);

export class SkipList {
  readonly head = new SkipNode("", 0, 0, EMPTY, 0, 0, 0, 0, SKIPLIST_HEIGHT_MAX);
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

  /** Last node at each level before (skey, seq), into #prev. */
  #findPrev(skey: string, seq: number): void {
    const prev = this.#prev;
    const last = this.#tail[0];
    if (last === this.head || before(last.skey, last.seq, skey, seq)) {
      for (let level = 0; level < this.#height; level++) prev[level] = this.#tail[level];
      return;
    }
    let x = this.head;
    for (let level = this.#height - 1; level >= 0; level--) {
      for (;;) {
        const n = x.nextAt(level);
        if (n === null || !before(n.skey, n.seq, skey, seq)) break;
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
    skey: string,
    seq: number,
    kind: ValueKind,
    buf: Uint8Array,
    koff: number,
    klen: number,
    voff: number,
    vlen: number,
  ): SkipNode {
    this.#findPrev(skey, seq);
    const prev = this.#prev;
    const h = this.#randomHeight();
    for (let level = this.#height; level < h; level++) prev[level] = this.head;
    if (h > this.#height) this.#height = h;
    const node = new SkipNode(skey, seq, kind, buf, koff, klen, voff, vlen, h);
    for (let level = 0; level < h; level++) {
      const next = prev[level].nextAt(level);
      node.setNext(level, next);
      prev[level].setNext(level, node);
      if (next === null) this.#tail[level] = node;
    }
    this.#count++;
    return node;
  }

  /** First node at or after (key, seq), or null. */
  seek(skey: string, seq: number): SkipNode | null {
    const x = this.#lastBefore(skey, seq);
    return x.next0;
  }

  /** Last node strictly before (key, seq), or null. */
  seekBefore(skey: string, seq: number): SkipNode | null {
    const x = this.#lastBefore(skey, seq);
    return x === this.head ? null : x;
  }

  #lastBefore(skey: string, seq: number): SkipNode {
    let x = this.head;
    for (let level = this.#height - 1; level >= 0; level--) {
      for (;;) {
        const n = x.nextAt(level);
        if (n === null || !before(n.skey, n.seq, skey, seq)) break;
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
