import { test } from "node:test";
import assert from "node:assert/strict";
import { compareBytes, hasPrefix, prefixEnd, toBytes, toHex, utf8 } from "../../src/util/bytes.ts";

test("compareBytes orders unsigned bytes, shorter prefix first", () => {
  assert.ok(compareBytes(utf8("a"), utf8("b")) < 0);
  assert.ok(compareBytes(utf8("ab"), utf8("a")) > 0);
  assert.equal(compareBytes(utf8("ab"), utf8("ab")), 0);
  assert.ok(compareBytes(new Uint8Array([0x7f]), new Uint8Array([0x80])) < 0);
});

test("prefixEnd is the least key above every key with the prefix", () => {
  assert.deepEqual(prefixEnd(utf8("ab")), utf8("ac"));
  assert.deepEqual(prefixEnd(new Uint8Array([1, 0xff])), new Uint8Array([2]));
  assert.equal(prefixEnd(new Uint8Array([0xff, 0xff])), undefined);
  assert.ok(hasPrefix(utf8("abc"), utf8("ab")));
  assert.deepEqual(toBytes("x"), utf8("x"));
});

test("toHex writes two lowercase digits per byte, every byte value", () => {
  assert.equal(toHex(new Uint8Array(0)), "");
  assert.equal(toHex(new Uint8Array([0, 1, 0x0f, 0x10, 0xab, 0xff])), "00010f10abff");
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const want = [...all].map((b) => (b < 16 ? "0" : "") + b.toString(16)).join("");
  assert.equal(toHex(all), want);
});
