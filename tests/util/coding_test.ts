import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ByteReader,
  ByteWriter,
  DecodeError,
  readFixed64,
  varintLength,
  writeFixed64,
} from "../../src/util/coding.ts";
import { createPrng } from "../../src/util/prng.ts";

test("ByteWriter/ByteReader round-trip 10k random varints, fixed ints and byte strings", () => {
  const prng = createPrng(7);
  const w = new ByteWriter(8);
  const values: number[] = [];
  for (let i = 0; i < 10_000; i++) {
    const bits = prng.int(54);
    const v = Math.floor(prng.nextFloat() * 2 ** bits);
    values.push(v);
    w.varint(v).fixed32(v >>> 0).fixed64(v).lengthPrefixed(new Uint8Array(i % 5).fill(i & 0xff));
  }
  const r = new ByteReader(w.finish());
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    assert.equal(r.varint(), v);
    assert.equal(r.fixed32(), v >>> 0);
    assert.equal(r.fixed64(), v);
    assert.deepEqual(r.lengthPrefixed(10), new Uint8Array(i % 5).fill(i & 0xff));
  }
  assert.equal(r.remaining, 0);
});

test("varintLength matches the encoded size at every 7-bit boundary", () => {
  for (let bits = 0; bits <= 53; bits++) {
    const v = bits === 0 ? 0 : 2 ** bits - 1;
    assert.equal(new ByteWriter().varint(v).length, varintLength(v), `2^${bits}-1`);
  }
});

test("ByteReader rejects truncated and oversized input with DecodeError", () => {
  assert.throws(() => new ByteReader(new Uint8Array([0x80, 0x80])).varint(), DecodeError);
  assert.throws(() => new ByteReader(new Uint8Array(9).fill(0xff)).varint(), DecodeError);
  assert.throws(() => new ByteReader(new Uint8Array(3)).fixed32(), DecodeError);
  const huge = new ByteWriter().varint(1_000_000).finish();
  assert.throws(() => new ByteReader(huge).lengthPrefixed(1000), /exceeds limit/);
  const big = new Uint8Array(8).fill(0xff);
  assert.equal(readFixed64(big, 0), -1, "u64 above 2^53 is reported, not rounded");
  assert.throws(() => new ByteReader(big).fixed64(), DecodeError);
});

test("writeFixed64 is little-endian", () => {
  const out = new Uint8Array(8);
  writeFixed64(out, 0, 0x0102_0304_0506);
  assert.deepEqual([...out], [6, 5, 4, 3, 2, 1, 0, 0]);
});

test("ByteWriter.range copies short and long ranges exactly (the loop and the set path)", () => {
  const src = new Uint8Array(600).map((_, i) => (i * 7 + 3) & 0xff);
  const w = new ByteWriter(4);
  const parts: [number, number][] = [[0, 0], [5, 1], [10, 63], [3, 64], [100, 65], [7, 300]];
  for (const [off, len] of parts) w.range(src, off, len);
  const want = parts.flatMap(([off, len]) => [...src.subarray(off, off + len)]);
  assert.deepEqual([...w.view()], want);
});
