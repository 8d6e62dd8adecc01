/** inSpanFrom (src/kv/snapshot_ranges.ts) answers as inSpan of the view it does not make. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { inSpan, inSpanFrom, type KeySpan } from "../../src/kv/snapshot_ranges.ts";
import { createPrng } from "../../src/util/prng.ts";

test("inSpanFrom(span, key, from) is inSpan(span, key.subarray(from))", () => {
  const prng = createPrng(7);
  // Few byte values and short keys: equal prefixes, equal keys and bound edges are common.
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => prng.int(3));
  for (let i = 0; i < 5_000; i++) {
    const span: KeySpan = { start: bytes(prng.int(4)), end: bytes(prng.int(4)) };
    const key = bytes(prng.int(6));
    for (let from = 0; from <= key.length; from++) {
      assert.equal(inSpanFrom(span, key, from), inSpan(span, key.subarray(from)));
    }
  }
});
