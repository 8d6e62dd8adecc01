/** Ranges of user keys, `[start, end)`, where an empty `end` is unbounded (as region ranges). */
import { compareBytes } from "../util/bytes.ts";

export interface KeyRange {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
}

export function rangeContains(range: KeyRange, key: Uint8Array): boolean {
  return compareBytes(key, range.start) >= 0 &&
    (range.end.length === 0 || compareBytes(key, range.end) < 0);
}

/** The keys in both ranges, or undefined when there are none. */
export function intersectRanges(a: KeyRange, b: KeyRange): KeyRange | undefined {
  const start = compareBytes(a.start, b.start) >= 0 ? a.start : b.start;
  const end = a.end.length === 0
    ? b.end
    : b.end.length === 0 || compareBytes(a.end, b.end) < 0
    ? a.end
    : b.end;
  return end.length === 0 || compareBytes(start, end) < 0 ? { start, end } : undefined;
}
