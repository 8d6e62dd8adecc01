/**
 * The in-memory write buffer: a skiplist of internal entries, sized in bytes.
 * `get` is synchronous; values are views into the encoded batch they came in.
 */
import { AssertionError } from "../../util/assert.ts";
import type { Prng } from "../../util/prng.ts";
import { ValueKind } from "../internal_key.ts";
import type { ByteSink, Cursor } from "../iterator/cursor.ts";
import type { EncodedBatch } from "../write_batch.ts";
import {
  compareNodes,
  keyHash,
  sameKey,
  sameNodeKeys,
  SkipList,
  type SkipNode,
} from "./skiplist.ts";

/** Batches smaller than this insert entry by entry (sorting would not pay). */
const SORTED_INSERT_MIN_OPS = 16;

/** Bookkeeping bytes charged per entry on top of key and value. */
const ENTRY_OVERHEAD_BYTES = 96;

export class Memtable {
  readonly #list: SkipList;
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
   * point read, with the entries already in the list; writes under other bytes (the KV
   * layer's history and key index, two of a put's three entries, are only ever scanned)
   * then cost no hash and no map slot.
   */
  readonly #pointRead: Uint8Array;
  #bytes = 0;
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
    return this.#list.count;
  }

  /** Adds an entry from separate arrays (WAL replay, tests): copies them into one buffer. */
  add(seq: number, kind: ValueKind, key: Uint8Array, value: Uint8Array | undefined): void {
    const vlen = value?.length ?? 0;
    const buf = new Uint8Array(key.length + vlen);
    buf.set(key);
    if (value !== undefined) buf.set(value, key.length);
    this.addFrom(seq, kind, buf, 0, key.length, key.length, vlen);
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
   * Adds every op of an encoded batch, op i at sequence firstSeq + i, as one sorted run:
   * the entries are ordered first (unless they already are) and inserted with a finger
   * search, so each insert starts from where the previous one ended.
   */
  addBatch(b: EncodedBatch, firstSeq: number): void {
    if (firstSeq <= this.lastSeq) {
      throw new AssertionError(`memtable sequence ${firstSeq} after ${this.lastSeq}`);
    }
    const { payload, kinds, offsets: o, count } = b;
    if (count < SORTED_INSERT_MIN_OPS) {
      for (let i = 0; i < count; i++) {
        const j = 4 * i;
        this.addFrom(firstSeq + i, kinds[i], payload, o[j], o[j + 1], o[j + 2], o[j + 3]);
      }
      return;
    }
    const list = this.#list;
    const nodes: SkipNode[] = new Array(count);
    let sorted = true;
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const j = 4 * i, koff = o[j], klen = o[j + 1];
      const n = list.node(firstSeq + i, kinds[i], payload, koff, klen, o[j + 2], o[j + 3]);
      if (i > 0 && sorted && compareNodes(nodes[i - 1], n) > 0) sorted = false;
      nodes[i] = n;
      this.#unindexed.push(n); // in sequence order: the point-read map keeps the newest
      bytes += klen + o[j + 3] + ENTRY_OVERHEAD_BYTES;
    }
    list.insertSorted(sorted ? nodes : nodes.slice().sort(compareNodes));
    this.#bytes += bytes;
    this.lastSeq = firstSeq + count - 1;
  }

  /** Newest entry for `key` visible at `seq`, or undefined when the memtable has none. */
  get(key: Uint8Array, seq: number): SkipNode | undefined {
    if (this.#unindexed.length > 0) this.#index();
    if (key.length === 0) return this.#seek(key, seq);
    if (this.#pointRead[key[0]] === 0) this.#startIndexing(key[0]);
    const newest = this.#newest.get(keyHash(key, 0, key.length));
    // No node under the key's hash: no entry of the key (every inserted node was indexed).
    if (newest === undefined) return undefined;
    if (newest.seq <= seq && sameKey(newest, key)) return newest;
    return this.#seek(key, seq);
  }

  #seek(key: Uint8Array, seq: number): SkipNode | undefined {
    const n = this.#list.seek(key, seq);
    if (n === null || !sameKey(n, key)) return undefined;
    return n;
  }

  #index(): void {
    const m = this.#newest, pointRead = this.#pointRead;
    for (const n of this.#unindexed) {
      if (n.klen > 0 && pointRead[n.buf[n.koff]] === 1) m.set(keyHash(n.buf, n.koff, n.klen), n);
    }
    this.#unindexed = [];
  }

  /**
   * Indexes the keys that start with `byte` from now on, and those already in the list (all
   * indexed: #unindexed is empty): each key's first node in list order is its newest.
   */
  #startIndexing(byte: number): void {
    this.#pointRead[byte] = 1;
    const m = this.#newest;
    let prev: SkipNode | undefined;
    for (let n = this.#list.seek(new Uint8Array([byte]), Number.MAX_SAFE_INTEGER); n !== null;) {
      if (n.buf[n.koff] !== byte) break;
      if (prev === undefined || !sameNodeKeys(prev, n)) m.set(keyHash(n.buf, n.koff, n.klen), n);
      prev = n;
      n = n.next0;
    }
  }

  cursor(): Cursor {
    return new MemtableCursor(this.#list);
  }

  /** A cursor that also hands out its node (where the entry's bytes are): no views made. */
  nodeCursor(): MemtableCursor {
    return new MemtableCursor(this.#list);
  }
}

export class MemtableCursor implements Cursor {
  #node: SkipNode | null = null;

  constructor(readonly list: SkipList) {}

  valid(): boolean {
    return this.#node !== null;
  }
  seekToFirst(): void {
    this.#node = this.list.head.next0;
  }
  seekToLast(): void {
    this.#node = this.list.last();
  }
  seek(key: Uint8Array, seq: number): void {
    this.#node = this.list.seek(key, seq);
  }
  next(): void {
    if (this.#node !== null) this.#node = this.#node.next0;
  }
  prev(): void {
    const n = this.#node;
    if (n !== null) this.#node = this.list.seekBefore(n);
  }
  key(): Uint8Array {
    return this.#current().key;
  }
  seq(): number {
    return this.#current().seq;
  }
  kind(): ValueKind {
    return this.#current().kind;
  }
  value(): Uint8Array {
    return this.#current().value;
  }
  copyValue(sink: ByteSink): Uint8Array {
    const n = this.#current();
    return sink.copyRange(n.buf, n.voff, n.vlen);
  }
  /** The current entry's node: key `buf[koff, koff+klen)`, value `buf[voff, voff+vlen)`. */
  node(): SkipNode {
    return this.#current();
  }
  #current(): SkipNode {
    const n = this.#node;
    if (n === null) throw new Error("memtable cursor is not valid");
    return n;
  }
}

export { ValueKind };
