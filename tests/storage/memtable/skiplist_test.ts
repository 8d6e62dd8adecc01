import { test } from "node:test";
import assert from "node:assert/strict";
import { ValueKind } from "../../../src/storage/internal_key.ts";
import { Memtable } from "../../../src/storage/memtable/memtable.ts";
import { byteString } from "../../../src/storage/memtable/skiplist.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { createPrng } from "../../../src/util/prng.ts";

test("byte strings sort like unsigned bytes", () => {
  const a = new Uint8Array([0x7f, 0xff]), b = new Uint8Array([0x80]), c = new Uint8Array([0x80, 0]);
  assert.ok(byteString(a) < byteString(b) && byteString(b) < byteString(c));
  assert.equal(byteString(new Uint8Array(20000)).length, 20000);
});

test("memtable: internal order, snapshot reads, cursor both ways", () => {
  const p = createPrng(9);
  const m = new Memtable(p, 1);
  const order: number[] = [];
  for (let i = 0; i < 500; i++) order.push(p.int(100));
  order.forEach((k, i) =>
    m.add(i + 1, ValueKind.Put, utf8(`k${String(k).padStart(3, "0")}`), utf8(`${i + 1}`))
  );
  const c = m.cursor();
  let prev = "";
  let prevSeq = Infinity;
  for (c.seekToFirst(); c.valid(); c.next()) {
    const k = fromUtf8(c.key());
    assert.ok(k > prev || (k === prev && c.seq() < prevSeq));
    prev = k;
    prevSeq = c.seq();
  }
  const k = utf8(`k${String(order[0]).padStart(3, "0")}`);
  assert.equal(m.get(k, 1)?.seq, 1, "a read at seq 1 sees the first write");
  const newest = m.get(k, 1e9);
  assert.ok(newest !== undefined && newest.seq >= 1);
  let n = 0;
  for (c.seekToLast(); c.valid(); c.prev()) n++;
  assert.equal(n, 500);
});
