/** Small array helpers that keep index access checked without non-null `!`. */
import { assert } from "../../util/assert.ts";

/** `arr[i]`, asserting that `i` is in bounds (a bug otherwise). */
export function at<T>(arr: readonly T[], i: number): T {
  const v = arr[i];
  // The message is built only on failure: this runs for every entry the core touches.
  if (v === undefined) assert(false, `index ${i} out of bounds (length ${arr.length})`);
  return v;
}

/** The last element, asserting the array is non-empty. */
export function last<T>(arr: readonly T[]): T {
  return at(arr, arr.length - 1);
}
