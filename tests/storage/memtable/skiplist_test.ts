import { test } from "node:test";
import assert from "node:assert/strict";
import { ValueKind } from "../../../src/storage/internal_key.ts";
import { Memtable } from "../../../src/storage/memtable/memtable.ts";
import { keyHash, sameNodeKeys, type SkipNode } from "../../../src/storage/memtable/skiplist.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { createPrng } from "../../../src/util/prng.ts";

test("keys longer than the inline words sort like unsigned bytes past byte 18", () => {
  const m = new Memtable(createPrng(3), 1);
  const head = new Uint8Array(18).fill(7);
  const keyOf = (tail: number[]) => Uint8Array.from([...head, ...tail]);
  const tails = [[0x80], [0x7f, 0xff], [0x80, 0], [], [0x7f], [0xff, 0xff, 1]];
  tails.forEach((t, i) => m.add(i + 1, ValueKind.Put, keyOf(t), new Uint8Array([i])));
  m.add(tails.length + 1, ValueKind.Put, keyOf([0x80]), new Uint8Array([99]));
  const c = m.cursor();
  const seen: string[] = [];
  for (c.seekToFirst(); c.valid(); c.next()) seen.push(`${[...c.key().subarray(18)]}@${c.seq()}`);
  assert.deepEqual(seen, ["@4", "127@5", "127,255@2", "128@7", "128@1", "128,0@3", "255,255,1@6"]);
  assert.deepEqual(m.get(keyOf([0x80]), 100)?.value, new Uint8Array([99]));
  assert.deepEqual(m.get(keyOf([0x80]), 6)?.value, new Uint8Array([0]));
  assert.equal(m.get(keyOf([0x80, 1]), 100), undefined);
  assert.equal(m.get(keyOf([0x81]), 100), undefined);
});

test("point reads find every key among many (hash slots shared by colliding keys)", () => {
  const m = new Memtable(createPrng(5), 1);
  const keys: Uint8Array[] = [];
  for (let i = 0; i < 3000; i++) keys.push(utf8(`key-${i}`));
  keys.forEach((k, i) => m.add(i + 1, ValueKind.Put, k, utf8(`${i}`)));
  keys.forEach((k, i) => assert.equal(fromUtf8(m.get(k, 1e9)?.value ?? utf8("")), `${i}`));
  assert.equal(m.get(utf8("key-3000"), 1e9), undefined);
  // "c-238098" and "c-810216" share a hash: each read finds its own key, the older one too.
  const [a, b] = [utf8("c-238098"), utf8("c-810216")];
  assert.equal(keyHash(a, 0, a.length), keyHash(b, 0, b.length));
  m.add(5000, ValueKind.Put, a, utf8("a"));
  m.add(5001, ValueKind.Put, b, utf8("b"));
  assert.equal(fromUtf8(m.get(a, 1e9)?.value ?? utf8("")), "a");
  assert.equal(fromUtf8(m.get(b, 1e9)?.value ?? utf8("")), "b");
  assert.equal(m.get(a, 4999), undefined);
  assert.equal(m.get(utf8("c-0"), 1e9), undefined);
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

test("sameNodeKeys: inline words decide short keys, bytes past 18 are compared", () => {
  const m = new Memtable(createPrng(8), 1);
  const head = new Uint8Array(18).fill(3);
  const keys = [
    utf8("short"),
    utf8("short"),
    utf8("shorT"),
    utf8("short\u0000"),
    Uint8Array.from([...head, 1, 2]),
    Uint8Array.from([...head, 1, 2]),
    Uint8Array.from([...head, 1, 3]),
    Uint8Array.from([...head, 1]),
  ];
  keys.forEach((k, i) => m.add(i + 1, ValueKind.Put, k, utf8("v")));
  const nodes = new Map<number, SkipNode>();
  const c = m.nodeCursor();
  for (c.seekToFirst(); c.valid(); c.next()) nodes.set(c.seq(), c.node());
  const same = (a: number, b: number) => sameNodeKeys(nodes.get(a)!, nodes.get(b)!);
  assert.equal(same(1, 2), true);
  assert.equal(same(1, 3), false);
  assert.equal(same(1, 4), false);
  assert.equal(same(5, 6), true);
  assert.equal(same(5, 7), false);
  assert.equal(same(5, 8), false);
});
