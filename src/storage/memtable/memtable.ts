/**
 * The in-memory write buffer: a skiplist of internal entries, sized in bytes.
 * `get` is synchronous; values are views into the encoded batch they came in.
 */
import { AssertionError } from "../../util/assert.ts";
import type { Prng } from "../../util/prng.ts";
import { ValueKind } from "../internal_key.ts";
import type { Cursor } from "../iterator/cursor.ts";
import { byteString, SkipList, type SkipNode } from "./skiplist.ts";

/** Bookkeeping bytes charged per entry on top of key and value. */
const ENTRY_OVERHEAD_BYTES = 96;

export class Memtable {
  readonly #list: SkipList;
  /**
   * Newest node per user key, so point reads at the latest sequence skip the skiplist.
   * Built lazily: writes only queue their node, and the first read after a run of writes
   * indexes them (a write-only load never pays for the map).
   */
  readonly #newest = new Map<string, SkipNode>();
  #unindexed: SkipNode[] = [];
  #bytes = 0;
  /** Largest sequence number inserted (0 when empty). */
  lastSeq = 0;

  /** `walNumber`: the WAL file that holds this memtable's writes (0 without a WAL). */
  constructor(prng: Prng, readonly walNumber: number) {
    this.#list = new SkipList(prng);
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
    const skey = byteString(buf.subarray(koff, koff + klen));
    const node = this.#list.insert(skey, seq, kind, buf, koff, klen, voff, vlen);
    this.#unindexed.push(node);
    this.#bytes += klen + vlen + ENTRY_OVERHEAD_BYTES;
    this.lastSeq = seq;
  }

  /** Newest entry for `key` visible at `seq`, or undefined when the memtable has none. */
  get(key: Uint8Array, seq: number): SkipNode | undefined {
    if (this.#unindexed.length > 0) this.#index();
    const skey = byteString(key);
    const newest = this.#newest.get(skey);
    if (newest === undefined) return undefined;
    if (newest.seq <= seq) return newest;
    const n = this.#list.seek(skey, seq);
    if (n === null || n.skey !== skey) return undefined;
    return n;
  }

  #index(): void {
    const m = this.#newest;
    for (const n of this.#unindexed) m.set(n.skey, n);
    this.#unindexed = [];
  }

  cursor(): Cursor {
    return new MemtableCursor(this.#list);
  }
}

class MemtableCursor implements Cursor {
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
    this.#node = this.list.seek(byteString(key), seq);
  }
  next(): void {
    if (this.#node !== null) this.#node = this.#node.next0;
  }
  prev(): void {
    const n = this.#node;
    if (n !== null) this.#node = this.list.seekBefore(n.skey, n.seq);
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
  #current(): SkipNode {
    const n = this.#node;
    if (n === null) throw new Error("memtable cursor is not valid");
    return n;
  }
}

export { ValueKind };
