/**
 * The internal iterator every source implements (memtable, block, table,
 * level, merge). Positions are internal keys; `key()`/`value()` are views
 * valid only until the cursor moves (copy at the API boundary).
 */
import type { ValueKind } from "../internal_key.ts";

export interface Cursor {
  valid(): boolean;
  seekToFirst(): void;
  seekToLast(): void;
  /** First entry at or after (key, seq) in internal order. */
  seek(key: Uint8Array, seq: number): void;
  next(): void;
  prev(): void;
  /** User key of the current entry. */
  key(): Uint8Array;
  seq(): number;
  kind(): ValueKind;
  value(): Uint8Array;
  /** The current value copied by `sink` straight from where it lies (no view made). */
  copyValue(sink: ByteSink): Uint8Array;
}

/** Makes a copy of `buf[off, off+len)` the caller owns (a scan's slab). */
export interface ByteSink {
  copyRange(buf: Uint8Array, off: number, len: number): Uint8Array;
}

/**
 * Positions `c` on the last entry with user key < `end` (all if undefined):
 * the start of a reverse scan over a half-open range.
 */
export function seekBeforeKey(c: Cursor, end: Uint8Array | undefined): void {
  if (end === undefined) {
    c.seekToLast();
    return;
  }
  c.seek(end, Number.MAX_SAFE_INTEGER);
  if (c.valid()) c.prev();
  else c.seekToLast();
}
