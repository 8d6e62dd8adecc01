import { test } from "node:test";
import assert from "node:assert/strict";
import { BlockCache, type CacheEntry } from "../../src/storage/cache/block_cache.ts";
import { encodeInternalKey, ValueKind } from "../../src/storage/internal_key.ts";
import { Block, BlockCursor } from "../../src/storage/sstable/block.ts";
import { BlockBuilder } from "../../src/storage/sstable/block_builder.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";

/** A block of `bytes` bytes (a restart array of one entry, the rest zero). */
function blockOf(bytes: number): Block {
  const data = new Uint8Array(bytes);
  data[bytes - 4] = 1; // one restart point, at offset 0
  return new Block(data, "t.sst", 0);
}

test("block cache: stays within its byte budget and evicts the oldest unvisited block", () => {
  const cache = new BlockCache(10 * (1000 + 64));
  const owner = new Map<number, CacheEntry>();
  for (let i = 0; i < 10; i++) cache.insert(owner, i, blockOf(1000));
  assert.equal(cache.count, 10);
  assert.ok(cache.lookup(owner, 0) !== undefined); // visited: gets a second chance
  cache.insert(owner, 10, blockOf(1000));
  assert.equal(cache.count, 10);
  assert.ok(cache.bytes <= cache.capacityBytes);
  assert.ok(owner.has(0), "a visited block survives one pass");
  assert.equal(owner.has(1), false, "the oldest unvisited block is evicted");
  for (let i = 11; i < 5000; i++) {
    cache.insert(owner, i, blockOf(1000));
    assert.ok(cache.bytes <= cache.capacityBytes);
  }
  assert.equal(cache.count, 10);
  assert.equal(owner.size, 10);
  assert.ok(owner.has(4999));
  assert.equal(cache.lookup(owner, 1), undefined);
  assert.equal(cache.misses, 1);
});

test("block cache: forget drops one table's blocks and their bytes", () => {
  const cache = new BlockCache(1 << 20);
  const a = new Map<number, CacheEntry>(), b = new Map<number, CacheEntry>();
  for (let i = 0; i < 3000; i++) cache.insert(i % 2 === 0 ? a : b, i, blockOf(100));
  assert.equal(cache.count, 3000);
  cache.forget(a);
  assert.equal(a.size, 0);
  assert.equal(cache.count, 1500);
  assert.equal(cache.bytes, 1500 * 164);
  // Later evictions skip the forgotten entries and only drop b's.
  for (let i = 0; i < 10_000; i++) cache.insert(b, 10_000 + i, blockOf(100));
  assert.ok(cache.bytes <= cache.capacityBytes);
  assert.equal(cache.count, b.size);
  assert.equal(cache.bytes, b.size * 164);
});

test("block: entries whose values take a two-byte length decode and seek", () => {
  const b = new BlockBuilder();
  const keys = Array.from({ length: 60 }, (_, i) => `k${String(i).padStart(3, "0")}`);
  keys.forEach((k, i) => {
    b.add(encodeInternalKey(utf8(k), 1, ValueKind.Put), utf8(k.repeat(30 + i * 10)));
  });
  const c = new BlockCursor(new Block(b.finish().slice(), "t.sst", 0));
  for (const [i, k] of keys.entries()) {
    c.seek(utf8(k), Number.MAX_SAFE_INTEGER);
    assert.equal(fromUtf8(c.key()), k);
    assert.equal(fromUtf8(c.value()), k.repeat(30 + i * 10));
  }
  const seen: string[] = [];
  for (c.seekToFirst(); c.valid(); c.next()) seen.push(fromUtf8(c.key()));
  assert.deepEqual(seen, keys);
});

test("block cache: a new block survives its own insertion when every older one was visited", () => {
  const cache = new BlockCache(4 * (1000 + 64));
  const owner = new Map<number, CacheEntry>();
  for (let i = 0; i < 4; i++) cache.insert(owner, i, blockOf(1000));
  for (let i = 0; i < 4; i++) assert.ok(cache.lookup(owner, i) !== undefined);
  cache.insert(owner, 4, blockOf(1000));
  assert.ok(owner.has(4), "the block just inserted is cached");
  assert.equal(cache.count, 4);
  assert.ok(cache.bytes <= cache.capacityBytes);
});

test("block cache: admits every block while it has room, then a block's second miss only", () => {
  const cache = new BlockCache(8 * (4096 + 64));
  const owner = new Map<number, CacheEntry>();
  assert.ok(cache.admit(1, 0) && cache.admit(1, 0), "room: always");
  for (let i = 0; i < 8; i++) cache.insert(owner, i * 4096, blockOf(4096));
  assert.equal(cache.admit(2, 4096), false, "full: not on the first miss");
  assert.equal(cache.admit(3, 4096), false, "another table's block at the same offset");
  assert.equal(cache.admit(2, 8192), false);
  assert.equal(cache.admit(2, 4096), true, "the second miss of (2, 4096)");
  assert.equal(cache.admit(2, 4096), false, "a slot is used once");
});
