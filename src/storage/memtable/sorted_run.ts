/**
 * Sorted runs: how the memtable holds the entries of large write batches. A batch
 * becomes one immutable run (its nodes in internal order), and runs of similar size are
 * merged, so a memtable holds a few runs whose sizes grow geometrically (an LSM tree in
 * memory). Linking each entry of a random batch into a 300k-entry skiplist cost ~20
 * node visits, each a CPU cache miss; a merge instead streams through an array of
 * numbers kept beside the nodes (STRIDE), so it rarely loads a node at all. Runs never
 * change once built: a cursor or a merge still reading an older run is unaffected by the
 * runs that replace it.
 */
import type { ValueKind } from "../internal_key.ts";
import type { ByteSink, Cursor } from "../iterator/cursor.ts";
import { before, prefixWord, Probe, sameNodeKeys } from "./search_key.ts";
import type { SkipNode } from "./skiplist.ts";

/** Nodes a run cursor loads ahead of the one it is on (RunCursor.#warm). */
const WARM_AHEAD = 32;

/** 257^3: one prefix word's range; two words (six key bytes) fit a double exactly. */
const WORD_RANGE = 257 * 257 * 257;

/**
 * A run keeps STRIDE numbers per entry, entry after entry (read and copied together, not
 * from six arrays): key bytes 0–5, 6–11, 12–17, 18–23 and 24–29 as numbers in byte
 * order (base-257 digits, 0 past the key's end), then the entry's sequence when its key has
 * at most WORDS_KEY_BYTES bytes, else -1. Keys that short and equal in every word are one
 * key (a digit is 0 only past a key's end), ordered by the sequence alone. Such ties are
 * common — a hot key's versions, the key index's entries of one key, one revision's
 * change-feed records — and with three words (18 bytes) each one loaded both nodes and
 * their key bytes: most of a merge's time on a node taking SETs of 10,000 keys.
 */
const STRIDE = 6;
const WORDS_KEY_BYTES = 30;
const SEQ = STRIDE - 1;

/** Whether entry x of `aw` sorts before entry y of `bw`; undefined on a tie of long keys. */
function wordsBefore(
  aw: Float64Array,
  x: number,
  bw: Float64Array,
  y: number,
): boolean | undefined {
  for (let w = 0; w < SEQ; w++) if (aw[x + w] !== bw[y + w]) return aw[x + w] < bw[y + w];
  const sa = aw[x + SEQ], sb = bw[y + SEQ];
  return sa >= 0 && sb >= 0 ? sa > sb : undefined;
}

/** Internal order of entry i of (an, aw) and entry j of (bn, bw): the words, else the nodes. */
function entryBefore(
  an: readonly SkipNode[],
  aw: Float64Array,
  i: number,
  bn: readonly SkipNode[],
  bw: Float64Array,
  j: number,
): boolean {
  return wordsBefore(aw, i * STRIDE, bw, j * STRIDE) ?? before(an[i], bn[j]);
}

/** Copies entry i's numbers in `from` to entry k in `to`. */
function copyWords(from: Float64Array, i: number, to: Float64Array, k: number): void {
  const x = i * STRIDE, y = k * STRIDE;
  for (let w = 0; w < STRIDE; w++) to[y + w] = from[x + w];
}

export class SortedRun {
  private constructor(
    readonly nodes: readonly SkipNode[],
    /** STRIDE numbers per entry (see STRIDE). */
    readonly words: Float64Array,
  ) {}

  get length(): number {
    return this.nodes.length;
  }

  /** A run of `nodes`, which must already be in internal order. */
  static of(nodes: readonly SkipNode[]): SortedRun {
    const n = nodes.length, w = new Float64Array(n * STRIDE);
    for (let i = 0, at = 0; i < n; i++, at += STRIDE) {
      const x = nodes[i], klen = x.klen;
      w[at] = x.k0 * WORD_RANGE + x.k1;
      w[at + 1] = x.k2 * WORD_RANGE + x.k3;
      w[at + 2] = x.k4 * WORD_RANGE + x.k5;
      if (klen > 18) {
        const b = x.buf, o = x.koff, end = o + klen;
        w[at + 3] = prefixWord(b, o + 18, end) * WORD_RANGE + prefixWord(b, o + 21, end);
        if (klen > 24) {
          w[at + 4] = prefixWord(b, o + 24, end) * WORD_RANGE + prefixWord(b, o + 27, end);
        }
      }
      w[at + SEQ] = klen <= WORDS_KEY_BYTES ? x.seq : -1;
    }
    return new SortedRun(nodes, w);
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
    const sorted = new Array<SkipNode>(n), w = new Float64Array(n * STRIDE);
    for (let k = 0; k < n; k++) {
      sorted[k] = nodes[from[k]];
      copyWords(u.words, from[k], w, k);
    }
    return new SortedRun(sorted, w);
  }

  /** Both runs' nodes in internal order, as a new run (neither input changes). */
  static merge(a: SortedRun, b: SortedRun): SortedRun {
    const la = a.length, lb = b.length, n = la + lb;
    const nodes = new Array<SkipNode>(n), w = new Float64Array(n * STRIDE);
    const an = a.nodes, aw = a.words, bn = b.nodes, bw = b.words;
    let i = 0, j = 0, k = 0;
    while (i < la && j < lb) {
      if (entryBefore(an, aw, i, bn, bw, j)) nodes[k] = an[i], copyWords(aw, i++, w, k++);
      else nodes[k] = bn[j], copyWords(bw, j++, w, k++);
    }
    for (; i < la; i++, k++) nodes[k] = an[i], copyWords(aw, i, w, k);
    for (; j < lb; j++, k++) nodes[k] = bn[j], copyWords(bw, j, w, k);
    return new SortedRun(nodes, w);
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
  const w = u.words, nodes = u.nodes;
  let i = lo, j = mid, k = lo;
  while (i < mid && j < hi) {
    const a = from[i], b = from[j];
    if (entryBefore(nodes, w, a, nodes, w, b)) to[k++] = a, i++;
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
   * Keys of at most WORDS_KEY_BYTES bytes are told apart by the run's words alone, so a
   * flush compares adjacent numbers instead of two nodes.
   * (`_previous`, the node before, is for MemtableCursor's method of the same name.)
   */
  sameKeyAsPrevious(_previous?: SkipNode): boolean {
    const i = this.#i, w = this.run.words;
    if (i <= 0) return false;
    const x = i * STRIDE, y = x - STRIDE;
    for (let k = 0; k < SEQ; k++) if (w[x + k] !== w[y + k]) return false;
    // Both keys within the words: equal words are equal keys. Else the rest decides.
    if (w[x + SEQ] >= 0 && w[y + SEQ] >= 0) return true;
    return sameNodeKeys(this.run.nodes[i], this.run.nodes[i - 1]);
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
