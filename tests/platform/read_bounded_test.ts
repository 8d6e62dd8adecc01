import { test } from "node:test";
import assert from "node:assert/strict";
import { readBounded } from "../../src/platform/read_bounded.ts";

async function* chunks(parts: (string | number[])[]) {
  for (const p of parts) yield typeof p === "string" ? p : new Uint8Array(p);
}

test("readBounded joins a stream's chunks (bytes or text) to its end", async () => {
  const got = await readBounded(chunks([[1, 2], "ab", [], [3]]), 100);
  assert.deepEqual([...got], [1, 2, 97, 98, 3]);
  assert.equal((await readBounded(chunks([]), 10)).length, 0);
});

test("readBounded stops one byte past the bound, so callers can refuse long input", async () => {
  let pulled = 0;
  async function* endless() {
    for (let i = 0; i < 1000; i++) {
      pulled++;
      yield new Uint8Array(4).fill(i);
    }
  }
  const got = await readBounded(endless(), 10);
  assert.deepEqual([...got], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2]);
  assert.equal(pulled, 3, "reading stopped at the bound");
  assert.equal((await readBounded(chunks([[1, 2, 3]]), 3)).length, 3, "exactly the bound fits");
});
