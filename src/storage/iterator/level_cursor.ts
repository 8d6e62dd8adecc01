/**
 * Cursor over one sorted, non-overlapping level (≥ 1): the concatenation of
 * its tables, each opened only when reached.
 */
import type { TableCache } from "../cache/table_cache.ts";
import type { ValueKind } from "../internal_key.ts";
import type { FileMeta } from "../version/version_edit.ts";
import { findFile } from "../version/version.ts";
import type { Cursor } from "./cursor.ts";

export class LevelCursor implements Cursor {
  #i = -1;
  #c: Cursor | undefined;

  constructor(
    readonly files: readonly FileMeta[],
    readonly tables: TableCache,
    readonly fillCache = true,
  ) {}

  #open(i: number): Cursor | undefined {
    this.#i = i;
    if (i < 0 || i >= this.files.length) return (this.#c = undefined);
    const f = this.files[i];
    return (this.#c = this.tables.get(f.number, f.size).cursor(this.fillCache));
  }
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
    this.#open(this.files.length - 1)?.seekToLast();
    this.#skipBackward();
  }
  seek(key: Uint8Array, seq: number): void {
    this.#open(findFile(this.files, key))?.seek(key, seq);
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
    if (this.#c === undefined) throw new Error("level cursor is not valid");
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
}
