import { test } from "node:test";
import assert from "node:assert/strict";
import { ValueKind } from "../../../src/storage/internal_key.ts";
import { ARENA_COPY_BYTES_MAX, ByteArena } from "../../../src/storage/memtable/byte_arena.ts";
import { Memtable } from "../../../src/storage/memtable/memtable.ts";
import { encodeBatch, type WriteOp } from "../../../src/storage/write_batch.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { createPrng } from "../../../src/util/prng.ts";

const TOP = Number.MAX_SAFE_INTEGER;

test("byte arena: placed bytes stay put while later ones start new, larger chunks", () => {
  const a = new ByteArena();
  const placed: { chunk: Uint8Array; at: number; bytes: Uint8Array }[] = [];
  const p = createPrng(3);
  for (let i = 0; i < 400; i++) {
    const bytes = p.fill(new Uint8Array(1 + p.int(ARENA_COPY_BYTES_MAX / 16)));
    const at = a.place(bytes);
    placed.push({ chunk: a.chunk, at, bytes });
  }
  const chunks = new Set(placed.map((x) => x.chunk));
  assert.ok(chunks.size > 1, "several chunks");
  assert.ok(a.allocated >= placed.reduce((s, x) => s + x.bytes.length, 0));
  for (const { chunk, at, bytes } of placed) {
    assert.deepEqual(chunk.subarray(at, at + bytes.length), bytes);
  }
});

test("memtable: a small batch is copied (its payload can change after), a large one is not", () => {
  const m = new Memtable(createPrng(5), 1);
  // 3 ops (skiplist) and 20 ops (a sorted run), both small.
  const ops = (prefix: string, n: number, size: number): WriteOp[] =>
    Array.from({ length: n }, (_, i) => ({
      type: "put" as const,
      key: `${prefix}-${String(i).padStart(3, "0")}`,
      value: `${prefix}${i}`.padEnd(size, "."),
    }));
  const small = encodeBatch(ops("s", 3, 10));
  const run = encodeBatch(ops("r", 20, 10));
  const large = encodeBatch(ops("l", 2, ARENA_COPY_BYTES_MAX));
  m.addBatch(small, 1);
  m.addBatch(run, 4);
  m.addBatch(large, 24);
  small.payload.fill(0);
  run.payload.fill(0);
  assert.equal(fromUtf8(m.get(utf8("s-001"), TOP)?.value ?? new Uint8Array()), "s1........");
  assert.equal(fromUtf8(m.get(utf8("r-019"), TOP)?.value ?? new Uint8Array()), "r19.......");
  const big = m.get(utf8("l-001"), TOP);
  assert.ok(big !== undefined);
  assert.equal(big.buf, large.payload, "a large batch's nodes point into it, uncopied");
  assert.equal(big.vlen, ARENA_COPY_BYTES_MAX);
  assert.notEqual(m.get(utf8("s-001"), TOP)?.buf, small.payload);
});

test("memtable: add() of a large value and of many small ones reads them back", () => {
  const m = new Memtable(createPrng(9), 1);
  const big = createPrng(1).fill(new Uint8Array(ARENA_COPY_BYTES_MAX + 1));
  m.add(1, ValueKind.Put, utf8("big"), big);
  const p = createPrng(2);
  const want = new Map<string, Uint8Array>();
  for (let i = 0; i < 3000; i++) {
    const v = p.fill(new Uint8Array(p.int(200)));
    want.set(`k${i}`, v);
    m.add(2 + i, ValueKind.Put, utf8(`k${i}`), v);
  }
  m.add(5000, ValueKind.Delete, utf8("gone"), undefined);
  assert.deepEqual(m.get(utf8("big"), TOP)?.value, big);
  for (const [k, v] of want) assert.deepEqual(m.get(utf8(k), TOP)?.value, v, k);
  assert.equal(m.get(utf8("gone"), TOP)?.kind, ValueKind.Delete);
  assert.equal(m.get(utf8("gone"), TOP)?.vlen, 0);
});
