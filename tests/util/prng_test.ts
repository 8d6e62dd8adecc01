import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrng } from "../../src/util/prng.ts";

test("Prng: the same seed gives the same sequence; different seeds differ", () => {
  const a = createPrng(42), b = createPrng(42), c = createPrng(43);
  const sa = Array.from({ length: 100 }, () => a.nextU32());
  const sb = Array.from({ length: 100 }, () => b.nextU32());
  const sc = Array.from({ length: 100 }, () => c.nextU32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
});

test("Prng.int stays in range and covers it roughly uniformly", () => {
  const p = createPrng(1);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 100_000; i++) counts[p.int(10)]++;
  for (const n of counts) assert.ok(n > 9_000 && n < 11_000, `bucket ${n}`);
  for (let i = 0; i < 1000; i++) {
    const r = p.range(-3, 3);
    assert.ok(r >= -3 && r <= 3);
  }
  assert.throws(() => p.int(0));
});
