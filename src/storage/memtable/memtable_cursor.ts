/** A cursor over the memtable's skiplist (the entries of small batches). */
import type { ValueKind } from "../internal_key.ts";
import type { ByteSink, Cursor } from "../iterator/cursor.ts";
import { sameNodeKeys, type SkipList, type SkipNode } from "./skiplist.ts";

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
  /** Whether the current entry's user key is `previous`'s (the node a step before). */
  sameKeyAsPrevious(previous: SkipNode | undefined): boolean {
    return previous !== undefined && sameNodeKeys(this.#current(), previous);
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
