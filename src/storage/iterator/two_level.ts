/**
 * A cursor over a sequence of sorted, non-overlapping parts, each opened only
 * when reached (leveldb's TwoLevelIterator): a table's data blocks through its
 * index, or a level's tables through its file list.
 */
import type { ValueKind } from "../internal_key.ts";
import type { ByteSink, Cursor } from "./cursor.ts";

export interface PartSource {
  /** Number of parts. */
  readonly partCount: number;
  /** A cursor over part `i` (0 ≤ i < partCount), unpositioned. */
  openPart(i: number): Cursor;
  /** The first part that may hold (key, seq); partCount if none. */
  findPart(key: Uint8Array, seq: number): number;
}

export class TwoLevelCursor implements Cursor {
  #i = -1;
  #c: Cursor | undefined;

  constructor(readonly source: PartSource, readonly what: string) {}

  #open(i: number): Cursor | undefined {
    this.#i = i;
    if (i < 0 || i >= this.source.partCount) return (this.#c = undefined);
    return (this.#c = this.source.openPart(i));
  }
  /** Moves past exhausted parts (empty ones included). */
  #skipForward(): void {
    while (this.#c !== undefined && !this.#c.valid()) this.#open(this.#i + 1)?.seekToFirst();
  }
  #skipBackward(): void {
    while (this.#c !== undefined && !this.#c.valid()) this.#open(this.#i - 1)?.seekToLast();
  }
  valid(): boolean {
    return this.#c !== undefined && this.#c.valid();
  }
  seekToFirst(): void {
    this.#open(0)?.seekToFirst();
    this.#skipForward();
  }
  seekToLast(): void {
    this.#open(this.source.partCount - 1)?.seekToLast();
    this.#skipBackward();
  }
  seek(key: Uint8Array, seq: number): void {
    this.#open(this.source.findPart(key, seq))?.seek(key, seq);
    this.#skipForward();
  }
  next(): void {
    this.#c?.next();
    this.#skipForward();
  }
  prev(): void {
    this.#c?.prev();
    this.#skipBackward();
  }
  #cur(): Cursor {
    if (this.#c === undefined) throw new Error(`${this.what} cursor is not valid`);
    return this.#c;
  }
  key(): Uint8Array {
    return this.#cur().key();
  }
  seq(): number {
    return this.#cur().seq();
  }
  kind(): ValueKind {
    return this.#cur().kind();
  }
  value(): Uint8Array {
    return this.#cur().value();
  }
  copyValue(sink: ByteSink): Uint8Array {
    return this.#cur().copyValue(sink);
  }
}
