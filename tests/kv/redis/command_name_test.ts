import { test } from "node:test";
import assert from "node:assert/strict";
import { lowerName, upperName } from "../../../src/kv/redis/command_name.ts";
import { toBytes } from "../../../src/util/bytes.ts";

test("command names fold case as String's toUpperCase/toLowerCase do, ASCII or not", () => {
  const names = ["get", "GeT", "SET", "client", "x-y_z@1[]", "", "ß-straße", "é", "a".repeat(40)];
  for (const name of names) {
    assert.equal(upperName(toBytes(name)), name.toUpperCase(), name);
    assert.equal(lowerName(toBytes(name)), name.toLowerCase(), name);
  }
});

test("short names read again, and past the cache's size, fold the same", () => {
  // Every two-letter spelling (over the cache's bound), twice: the cached answer is the built one.
  for (let pass = 0; pass < 2; pass++) {
    for (let a = 0x40; a < 0x80; a++) {
      for (let b = 0x40; b < 0x80; b++) {
        const name = String.fromCharCode(a, b);
        assert.equal(upperName(toBytes(name)), name.toUpperCase(), name);
        assert.equal(lowerName(toBytes(name)), name.toLowerCase(), name);
      }
    }
  }
  // Same bytes but for the length (a zero byte) are different names.
  assert.equal(lowerName(new Uint8Array([0x61, 0])), "a\0");
  assert.equal(lowerName(new Uint8Array([0x61])), "a");
  assert.equal(upperName(new Uint8Array([0xc3, 0xa9])), "É");
});
