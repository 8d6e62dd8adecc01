/**
 * Sorted runs: how the memtable holds the entries of large write batches. A batch
 * becomes one immutable run (its nodes in internal order), and runs of similar size are
 * merged, so a memtable holds a few runs whose sizes grow geometrically (an LSM tree in
 * memory). Linking each entry of a random batch into a 300k-entry skiplist cost ~20
 * node visits, each a CPU cache miss; a merge instead streams through arrays, and
 * compares the keys' first 18 bytes as three numbers kept in typed arrays beside the
 * nodes, so it rarely loads a node at all. Runs never change once built: a cursor or
 * a merge still reading an older run is unaffected by the runs that replace it.
 */
import type { ValueKind } from "../internal_key.ts";
import type { ByteSink, Cursor } from "../iterator/cursor.ts";
import { before, Probe, sameNodeKeys } from "./search_key.ts";
import type { SkipNode } from "./skiplist.ts";

/** Nodes a run cursor loads ahead of the one it is on (RunCursor.#warm). */
const WARM_AHEAD = 32;

/** 257^3: one prefix word's range; two words (six key bytes) fit a double exactly. */
const WORD_RANGE = 257 * 257 * 257;

export class SortedRun {
  private constructor(
    readonly nodes: readonly SkipNode[],
    /** Key bytes 0–5, 6–11 and 12–17 of each node as numbers in byte order. */
    readonly w0: Float64Array,
    readonly w1: Float64Array,
    readonly w2: Float64Array,
  ) {}

  get length(): number {
    return this.nodes.length;
  }

  /** A run of `nodes`, which must already be in internal order. */
  static of(nodes: readonly SkipNode[]): SortedRun {
    const n = nodes.length;
    const w0 = new Float64Array(n), w1 = new Float64Array(n), w2 = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = nodes[i];
      w0[i] = x.k0 * WORD_RANGE + x.k1;
      w1[i] = x.k2 * WORD_RANGE + x.k3;
      w2[i] = x.k4 * WORD_RANGE + x.k5;
    }
    return new SortedRun(nodes, w0, w1, w2);
  }

  /**
   * A run of `nodes` in any order: sorted here by their prefix words (a merge sort over
   * typed arrays, no comparator call per comparison; 18 equal bytes fall back to `before`),
   * a third of the time `Array.prototype.sort` with a node comparator took.
   */
  static sorting(nodes: readonly SkipNode[]): SortedRun {
    const n = nodes.length;
    const u = SortedRun.of(nodes); // the words in insertion order
    let from = new Int32Array(n), to = new Int32Array(n);
    for (let i = 0; i < n; i++) from[i] = i;
    for (let width = 1; width < n; width *= 2) {
      for (let lo = 0; lo < n; lo += 2 * width) {
        mergeIndexes(u, from, to, lo, Math.min(lo + width, n), Math.min(lo + 2 * width, n));
      }
      const t = from;
      from = to;
      to = t;
    }
    const sorted = new Array<SkipNode>(n);
    const w0 = new Float64Array(n), w1 = new Float64Array(n), w2 = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const i = from[k];
      sorted[k] = nodes[i], w0[k] = u.w0[i], w1[k] = u.w1[i], w2[k] = u.w2[i];
    }
    return new SortedRun(sorted, w0, w1, w2);
  }

  /** Both runs' nodes in internal order, as a new run (neither input changes). */
  static merge(a: SortedRun, b: SortedRun): SortedRun {
    const la = a.length, lb = b.length, n = la + lb;
    const nodes = new Array<SkipNode>(n);
    const w0 = new Float64Array(n), w1 = new Float64Array(n), w2 = new Float64Array(n);
    const an = a.nodes, a0 = a.w0, a1 = a.w1, a2 = a.w2;
    const bn = b.nodes, b0 = b.w0, b1 = b.w1, b2 = b.w2;
    let i = 0, j = 0, k = 0;
    while (i < la && j < lb) {
      let takeA: boolean;
      if (a0[i] !== b0[j]) takeA = a0[i] < b0[j];
      else if (a1[i] !== b1[j]) takeA = a1[i] < b1[j];
      else if (a2[i] !== b2[j]) takeA = a2[i] < b2[j];
      else takeA = before(an[i], bn[j]); // 18 equal bytes: the rest of the keys, the sequences
      if (takeA) {
        nodes[k] = an[i], w0[k] = a0[i], w1[k] = a1[i], w2[k] = a2[i];
        i++;
      } else {
        nodes[k] = bn[j], w0[k] = b0[j], w1[k] = b1[j], w2[k] = b2[j];
        j++;
      }
      k++;
    }
    for (; i < la; i++, k++) nodes[k] = an[i], w0[k] = a0[i], w1[k] = a1[i], w2[k] = a2[i];
    for (; j < lb; j++, k++) nodes[k] = bn[j], w0[k] = b0[j], w1[k] = b1[j], w2[k] = b2[j];
    return new SortedRun(nodes, w0, w1, w2);
  }

  /** Index of the first node at or after `p` in internal order (length when none). */
  lowerBound(p: Probe): number {
    const nodes = this.nodes;
    let lo = 0, hi = nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(nodes[mid], p)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Merges the index ranges [lo, mid) and [mid, hi) of `from`, each sorted, into `to`. */
function mergeIndexes(
  u: SortedRun,
  from: Int32Array,
  to: Int32Array,
  lo: number,
  mid: number,
  hi: number,
): void {
  const w0 = u.w0, w1 = u.w1, w2 = u.w2, nodes = u.nodes;
  let i = lo, j = mid, k = lo;
  while (i < mid && j < hi) {
    const a = from[i], b = from[j];
    let takeA: boolean;
    if (w0[a] !== w0[b]) takeA = w0[a] < w0[b];
    else if (w1[a] !== w1[b]) takeA = w1[a] < w1[b];
    else if (w2[a] !== w2[b]) takeA = w2[a] < w2[b];
    else takeA = before(nodes[a], nodes[b]);
    if (takeA) to[k++] = a, i++;
    else to[k++] = b, j++;
  }
  while (i < mid) to[k++] = from[i++];
  while (j < hi) to[k++] = from[j++];
}

/** A cursor over one run; `node()` hands out where the entry's bytes are. */
export class RunCursor implements Cursor {
  #i: number;
  readonly #probe = new Probe();
  /**
   * `key()` copies into this buffer and hands out one view of it per key length: a new
   * view per entry was a sixth of a scan's time under Bun. Valid until the cursor moves.
   */
  #scratch = new Uint8Array(64);
  #keyView = this.#scratch.subarray(0, 0);
  /** The buffer `#keyView` views (compared instead of `.buffer`, a getter JSC pays for). */
  #keyViewOf = this.#scratch;
  #keyAt = -1;
  /** Nodes before this index have been touched ahead (#warm). */
  #warmTo = 0;
  /** Where #warm's loads go, so that the compiler keeps them. */
  #touched = 0;

  constructor(readonly run: SortedRun) {
    this.#i = run.length;
  }

  valid(): boolean {
    return this.#i >= 0 && this.#i < this.run.length;
  }
  seekToFirst(): void {
    this.#i = 0;
    this.#warm();
  }
  seekToLast(): void {
    this.#i = this.run.length - 1;
    this.#warmTo = this.run.length; // backwards: not loaded ahead
  }
  seek(key: Uint8Array, seq: number): void {
    this.#i = this.run.lowerBound(this.#probe.set(key, seq));
    this.#warmTo = this.#i;
  }
  next(): void {
    if (!this.valid()) return;
    if (++this.#i >= this.#warmTo) this.#warm();
  }

  /**
   * Loads the next WARM_AHEAD nodes and their first key and value bytes in two tight loops.
   * Runs are in key order but their nodes lie in insertion order in memory, so each entry
   * is two cache misses (the node, then its bytes); one entry at a time they come one after
   * the other, while in a loop with no dependence between iterations the CPU overlaps them.
   */
  #warm(): void {
    const nodes = this.run.nodes, from = this.#i;
    const to = Math.min(nodes.length, from + WARM_AHEAD);
    let sum = 0;
    for (let i = from; i < to; i++) sum += nodes[i].koff;
    for (let i = from; i < to; i++) {
      const n = nodes[i], b = n.buf;
      sum += b[n.koff] + b[n.voff];
    }
    this.#touched = sum;
    this.#warmTo = to;
  }
  prev(): void {
    if (this.valid()) this.#i--;
  }
  /**
   * Whether the current entry's user key equals the previous entry's (false on the first).
   * Keys shorter than 18 bytes are told apart by the run's prefix words alone (a word is
   * 0 past a key's end), so a flush compares two adjacent numbers instead of two nodes.
   * (`_previous`, the node before, is for MemtableCursor's method of the same name.)
   */
  sameKeyAsPrevious(_previous?: SkipNode): boolean {
    const i = this.#i, r = this.run;
    if (i <= 0 || r.w0[i] !== r.w0[i - 1] || r.w1[i] !== r.w1[i - 1]) return false;
    if (r.w2[i] !== r.w2[i - 1]) return false;
    // Byte 17 present: the rest of the keys decides.
    return r.w2[i] % 257 === 0 || sameNodeKeys(r.nodes[i], r.nodes[i - 1]);
  }
  key(): Uint8Array {
    if (this.#keyAt === this.#i) return this.#keyView;
    const n = this.node(), len = n.klen;
    if (len > this.#scratch.length) this.#scratch = new Uint8Array(len * 2);
    const s = this.#scratch, b = n.buf, o = n.koff;
    for (let j = 0; j < len; j++) s[j] = b[o + j];
    if (this.#keyView.length !== len || this.#keyViewOf !== s) {
      this.#keyView = s.subarray(0, len);
      this.#keyViewOf = s;
    }
    this.#keyAt = this.#i;
    return this.#keyView;
  }
  seq(): number {
    return this.node().seq;
  }
  kind(): ValueKind {
    return this.node().kind;
  }
  value(): Uint8Array {
    return this.node().value;
  }
  copyValue(sink: ByteSink): Uint8Array {
    const n = this.node();
    return sink.copyRange(n.buf, n.voff, n.vlen);
  }
  node(): SkipNode {
    if (!this.valid()) throw new Error("memtable run cursor is not valid");
    return this.run.nodes[this.#i];
  }
}
