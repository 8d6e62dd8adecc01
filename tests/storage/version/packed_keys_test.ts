import { test } from "node:test";
import assert from "node:assert/strict";
import { PackedKeys } from "../../../src/storage/version/packed_keys.ts";
import { compareBytes, fromUtf8, utf8 } from "../../../src/util/bytes.ts";

test("packed keys: each key reads back and compares like compareBytes", () => {
  const words = ["", "a", "ab", "abc", "b", "ba", "zz", "\u00ff"];
  const keys = words.map(utf8);
  const packed = new PackedKeys(keys);
  assert.equal(packed.length, keys.length);
  for (let i = 0; i < keys.length; i++) {
    assert.equal(fromUtf8(packed.at(i)), words[i]);
    for (const probe of [...keys, utf8("aa"), utf8("abcd")]) {
      assert.equal(Math.sign(packed.compare(i, probe)), Math.sign(compareBytes(keys[i], probe)));
    }
  }
  assert.equal(new PackedKeys([]).length, 0);
});
