/**
 * The in-memory write buffer: a skiplist of internal entries, sized in bytes.
 * `get` is synchronous; values are views into the memtable's byte arena (a copy of the
 * encoded batch they came in) or, for a large batch, into that batch itself.
 */
import { AssertionError } from "../../util/assert.ts";
import type { Prng } from "../../util/prng.ts";
import { ValueKind } from "../internal_key.ts";
import type { Cursor } from "../iterator/cursor.ts";
import type { EncodedBatch } from "../write_batch.ts";
import { ARENA_COPY_BYTES_MAX, ByteArena } from "./byte_arena.ts";
import { compareNodes, keyHash, sameKey, SkipList, SkipNode } from "./skiplist.ts";
import { MemtableCursor } from "./memtable_cursor.ts";
import { RunCursor, SortedRun } from "./sorted_run.ts";

/**
 * Small batches' entries wait in the pending tail until it holds this many, then become one
 * sorted run (or sooner, when a read needs key order). A batch this large becomes a run alone.
 */
const SORTED_INSERT_MIN_OPS = 16;

/**
 * Two adjacent runs are merged while the older is at most this many times the newer: run
 * sizes then at least double from newest to oldest (at most ~log2(entries / batch) runs),
 * and each entry is copied about 7 times on its way into a 300k-entry memtable.
 */
const RUN_MERGE_RATIO = 2;

/** Bookkeeping bytes charged per entry on top of key and value. */
const ENTRY_OVERHEAD_BYTES = 96;

export class Memtable {
  #list: SkipList;
  /** Large batches' entries, as sorted runs, oldest (largest) first (sorted_run.ts). */
  #runs: SortedRun[] = [];
  #runEntries = 0;
  /**
   * Small batches' nodes in sequence order, not yet in key order: a run once there are
   * SORTED_INSERT_MIN_OPS of them or a read needs order (#seal). Point reads at the newest
   * sequence find them through the hash index, as they find every other node; everything that
   * walks in key order (seeks, cursors, indexing a new first byte) seals them first. A node
   * holding many regions writes one small batch per region per apply pass (a put or two each):
   * linked into the skiplist one by one, each entry cost a ~20-node search; gathered, a pass's
   * batches make one run, as one region's single batch does.
   */
  #pending: SkipNode[] = [];
  /**
   * Newest node per user key's hash (keyHash), so point reads at the latest sequence skip
   * the skiplist. Built lazily: writes only queue their node, and the first read after a
   * run of writes indexes them (a write-only load never pays for the map). Keys whose
   * hashes collide share a slot: a read that finds another key there searches the list.
   */
  readonly #newest = new Map<number, SkipNode>();
  #unindexed: SkipNode[] = [];
  /**
   * Which keys the map indexes, by first byte (1: indexed). A byte is added at its first
   * point read, with the entries already in the memtable; writes under other bytes (the KV
   * layer's history and key index, two of a put's three entries, are only ever scanned)
   * then cost no hash and no map slot.
   */
  readonly #pointRead: Uint8Array;
  #bytes = 0;
  /** Small batches' payloads, copied: a node then reaches its bytes in one load (byte_arena.ts). */
  readonly #arena = new ByteArena();
  /** Largest sequence number inserted (0 when empty). */
  lastSeq = 0;

  /**
   * `walNumber`: the WAL file that holds this memtable's writes (0 without a WAL).
   * `pointRead`: the first bytes to index from the start (the previous memtable's
   * `pointReadBytes()`: the keys the caller reads by point); others are added when read.
   */
  constructor(prng: Prng, readonly walNumber: number, pointRead?: Uint8Array) {
    this.#list = new SkipList(prng);
    this.#pointRead = pointRead === undefined ? new Uint8Array(256) : pointRead.slice();
  }

  /** The first bytes of the keys read by point so far (a hint for the next memtable). */
  pointReadBytes(): Uint8Array {
    return this.#pointRead;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get count(): number {
    return this.#list.count + this.#runEntries + this.#pending.length;
  }

  /** Adds an entry from separate arrays (WAL replay, tests): copies them together. */
  add(seq: number, kind: ValueKind, key: Uint8Array, value: Uint8Array | undefined): void {
    const vlen = value?.length ?? 0, size = key.length + vlen;
    let buf: Uint8Array, at: number;
    if (size <= ARENA_COPY_BYTES_MAX) {
      at = this.#arena.reserve(size);
      buf = this.#arena.chunk;
    } else {
      at = 0;
      buf = new Uint8Array(size);
    }
    buf.set(key, at);
    if (value !== undefined) buf.set(value, at + key.length);
    this.addFrom(seq, kind, buf, at, key.length, at + key.length, vlen);
  }

  /**
   * Adds an entry whose key is `buf[koff, koff+klen)` and value `buf[voff, voff+vlen)`
   * (the encoded batch: nothing is copied). Sequence numbers only grow.
   */
  addFrom(
    seq: number,
    kind: ValueKind,
    buf: Uint8Array,
    koff: number,
    klen: number,
    voff: number,
    vlen: number,
  ): void {
    if (seq <= this.lastSeq) {
      throw new AssertionError(`memtable sequence ${seq} after ${this.lastSeq}`);
    }
    const node = this.#list.insert(seq, kind, buf, koff, klen, voff, vlen);
    this.#unindexed.push(node);
    this.#bytes += klen + vlen + ENTRY_OVERHEAD_BYTES;
    this.lastSeq = seq;
  }

  /**
   * Adds every op of an encoded batch, op i at sequence firstSeq + i. A batch of
   * SORTED_INSERT_MIN_OPS or more becomes one sorted run (ordered first, unless it already
   * is), with no skiplist search per entry; a smaller one joins the pending tail (#pending).
   * A payload of at most ARENA_COPY_BYTES_MAX is copied into the arena first (one copy per
   * batch).
   */
  addBatch(b: EncodedBatch, firstSeq: number): void {
    if (firstSeq <= this.lastSeq) {
      throw new AssertionError(`memtable sequence ${firstSeq} after ${this.lastSeq}`);
    }
    const { kinds, offsets: o, count } = b;
    let payload = b.payload, base = 0;
    if (payload.length <= ARENA_COPY_BYTES_MAX) {
      base = this.#arena.place(payload);
      payload = this.#arena.chunk;
    }
    const alone = count >= SORTED_INSERT_MIN_OPS;
    if (alone) this.#seal(); // the older entries' run first: runs stay oldest first
    const nodes: SkipNode[] = alone ? new Array(count) : this.#pending;
    let sorted = true;
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const j = 4 * i, koff = base + o[j], klen = o[j + 1], voff = base + o[j + 2];
      const n = new SkipNode(firstSeq + i, kinds[i], payload, koff, klen, voff, o[j + 3], 1);
      if (alone && i > 0 && sorted && compareNodes(nodes[i - 1], n) > 0) sorted = false;
      if (alone) nodes[i] = n;
      else nodes.push(n);
      this.#unindexed.push(n); // in sequence order: the point-read map keeps the newest
      bytes += klen + o[j + 3] + ENTRY_OVERHEAD_BYTES;
    }
    this.#bytes += bytes;
    this.lastSeq = firstSeq + count - 1;
    if (alone) this.#addRun(sorted ? SortedRun.of(nodes) : SortedRun.sorting(nodes));
    else if (nodes.length >= SORTED_INSERT_MIN_OPS) this.#seal();
  }

  /** The pending tail as a run (every read in key order calls this first). */
  #seal(): void {
    const nodes = this.#pending;
    if (nodes.length === 0) return;
    this.#pending = [];
    this.#addRun(SortedRun.sorting(nodes));
  }

  /** Newest entry for `key` visible at `seq`, or undefined when the memtable has none. */
  get(key: Uint8Array, seq: number): SkipNode | undefined {
    if (this.#unindexed.length > 0) this.#index();
    if (key.length > 0 && this.#pointRead[key[0]] === 0) this.#startIndexing(key[0]);
    const newest = this.#newest.get(keyHash(key, 0, key.length));
    // No node under the key's hash: no entry of the key (every inserted node was indexed).
    if (newest === undefined) return undefined;
    if (newest.seq <= seq && sameKey(newest, key)) return newest;
    const n = this.#seek(key, seq);
    if (n === null || !sameKey(n, key)) return undefined;
    return n;
  }

  /** First entry at or after (key, seq) in the list and every run. */
  #seek(key: Uint8Array, seq: number): SkipNode | null {
    this.#seal();
    let best = this.#list.seek(key, seq);
    for (const run of this.#runs) {
      const c = new RunCursor(run);
      c.seek(key, seq);
      if (c.valid() && (best === null || compareNodes(c.node(), best) < 0)) best = c.node();
    }
    return best;
  }

  #index(): void {
    const m = this.#newest, pointRead = this.#pointRead;
    for (const n of this.#unindexed) {
      if (n.klen === 0 || pointRead[n.buf[n.koff]] === 1) m.set(keyHash(n.buf, n.koff, n.klen), n);
    }
    this.#unindexed = [];
  }

  /**
   * Indexes the keys that start with `byte` from now on, and those already in the list and
   * the runs (all indexed: #unindexed is empty). Each slot keeps its newest node, so a key's
   * slot holds its newest entry or a newer one of a key sharing its hash.
   */
  #startIndexing(byte: number): void {
    this.#seal();
    this.#pointRead[byte] = 1;
    const m = this.#newest;
    const note = (n: SkipNode) => {
      const h = keyHash(n.buf, n.koff, n.klen), had = m.get(h);
      if (had === undefined || had.seq < n.seq) m.set(h, n);
    };
    const from = new Uint8Array([byte]);
    for (let n = this.#list.seek(from, Number.MAX_SAFE_INTEGER); n !== null; n = n.next0) {
      if (n.buf[n.koff] !== byte) break;
      note(n);
    }
    for (const run of this.#runs) {
      const c = new RunCursor(run);
      for (c.seek(from, Number.MAX_SAFE_INTEGER); c.valid(); c.next()) {
        const n = c.node();
        if (n.buf[n.koff] !== byte) break;
        note(n);
      }
    }
  }

  /** Appends a batch's run, then merges the newest runs while they are of similar size. */
  #addRun(run: SortedRun): void {
    const runs = this.#runs;
    runs.push(run);
    this.#runEntries += run.length;
    while (runs.length >= 2 && runs[runs.length - 2].length <= RUN_MERGE_RATIO * run.length) {
      const newer = runs.pop() as SortedRun, older = runs.pop() as SortedRun;
      run = SortedRun.merge(older, newer);
      runs.push(run);
    }
  }

  /**
   * One cursor per source (the list, each run), for a caller that merges them itself (a
   * scan's merging cursor). `settle`: merge the runs and the list into one run first.
   */
  cursors(settle = false): Cursor[] {
    this.#seal();
    if (settle && this.#runs.length + (this.#list.count > 0 ? 1 : 0) > 1) this.#settle();
    // An empty list has nothing a scan could see (it reads at a sequence it already has).
    const all: Cursor[] = this.#list.count > 0 ? [new MemtableCursor(this.#list)] : [];
    for (const run of this.#runs) all.push(new RunCursor(run));
    return all;
  }

  /** One cursor over every entry: merges all runs and the list into one run first. */
  cursor(): Cursor {
    return this.nodeCursor();
  }

  /** A cursor that also hands out its node (where the entry's bytes are): no views made. */
  nodeCursor(): MemtableCursor | RunCursor {
    this.#seal();
    if (this.#runs.length === 0) return new MemtableCursor(this.#list);
    this.#settle();
    return new RunCursor(this.#runs[0]);
  }

  /** Moves every entry into one run (cursors on the old list and runs are unaffected). */
  #settle(): void {
    let all = this.#runs.pop() as SortedRun;
    while (this.#runs.length > 0) all = SortedRun.merge(this.#runs.pop() as SortedRun, all);
    if (this.#list.count > 0) {
      const nodes: SkipNode[] = [];
      for (let n = this.#list.head.next0; n !== null; n = n.next0) nodes.push(n);
      all = SortedRun.merge(all, SortedRun.of(nodes));
      this.#runEntries += nodes.length;
      this.#list = new SkipList(this.#list.prng);
    }
    this.#runs = [all];
  }
}

export { MemtableCursor, ValueKind };
