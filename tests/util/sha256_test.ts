/** src/util/sha256.ts gives WebCrypto's digest for every padding case. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { sha256 } from "../../src/util/sha256.ts";

test("sha256: equals crypto.subtle's digest around every block boundary", async () => {
  for (const n of [0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 128, 1000]) {
    const data = new Uint8Array(n).map((_, i) => (i * 7 + n) & 255);
    const want = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
    assert.deepEqual(sha256(data), want, `${n} bytes`);
  }
  const abc = [...sha256(new TextEncoder().encode("abc"))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(abc, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});
