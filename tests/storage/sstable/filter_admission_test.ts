/**
 * The blocked bloom filter (bloom2) new tables carry, tables with the classic filter (bloom1)
 * still read, and point gets whose blocks the full cache does not admit (read into a shared
 * buffer: a value handed out must stay intact after later gets).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld } from "../../../src/platform/sim/sim_world.ts";
import { BlockCache } from "../../../src/storage/cache/block_cache.ts";
import { ValueKind } from "../../../src/storage/internal_key.ts";
import { bloomHash } from "../../../src/storage/sstable/bloom.ts";
import {
  blockedBloomMayContain,
  BLOOM_LINE_BYTES,
  buildBlockedBloom,
} from "../../../src/storage/sstable/bloom_blocked.ts";
import type { FilterKind } from "../../../src/storage/sstable/format.ts";
import { TableBuilder } from "../../../src/storage/sstable/table_builder.ts";
import { TableReader } from "../../../src/storage/sstable/table_reader.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";

const keyOf = (i: number) => utf8(`key${String(i).padStart(6, "0")}`);

test("blocked bloom: no false negatives, about 1 % false positives, whole lines", () => {
  for (const n of [1, 100, 20_000]) {
    const hashes = Array.from({ length: n }, (_, i) => bloomHash(keyOf(i * 2)));
    const f = buildBlockedBloom(hashes);
    assert.equal((f.length - 1) % BLOOM_LINE_BYTES, 0, "the bits are whole 64-byte lines");
    assert.equal(f[f.length - 1], 6, "probe count stored");
    for (const h of hashes) assert.ok(blockedBloomMayContain(f, h), "no false negative");
    let fp = 0;
    for (let i = 0; i < 20_000; i++) {
      if (blockedBloomMayContain(f, bloomHash(keyOf(i * 2 + 1)))) fp++;
    }
    assert.ok(fp < (n < 100 ? 200 : 400), `${n} keys: false positives ${fp}/20000`);
  }
});

test("blocked bloom: a malformed filter answers 'maybe', never a wrong 'no'", () => {
  const h = bloomHash(utf8("anything"));
  assert.ok(blockedBloomMayContain(new Uint8Array(0), h));
  assert.ok(blockedBloomMayContain(new Uint8Array(BLOOM_LINE_BYTES), h), "no probe count");
  assert.ok(blockedBloomMayContain(new Uint8Array(BLOOM_LINE_BYTES + 2), h), "partial line");
  const f = new Uint8Array(BLOOM_LINE_BYTES + 1);
  f[BLOOM_LINE_BYTES] = 0;
  assert.ok(blockedBloomMayContain(f, h), "probe count 0 is reserved");
  f[BLOOM_LINE_BYTES] = 31;
  assert.ok(blockedBloomMayContain(f, h), "probe count over 30 is reserved");
  f[BLOOM_LINE_BYTES] = 6;
  assert.equal(blockedBloomMayContain(f, h), false, "an empty filter of a real shape says no");
});

/** A table of keys 0, 2, 4, … (2 × n) with values "v<i>-" repeated to ~300 bytes. */
function writeTable(
  w: ReturnType<typeof createSimWorld>,
  name: string,
  n: number,
  filter: FilterKind,
) {
  const f = w.fs.open(name, { create: true });
  const b = new TableBuilder(f, undefined, "none", filter);
  for (let i = 0; i < n; i++) b.add(keyOf(i * 2), 100 + i, ValueKind.Put, valueOf(name, i * 2));
  const size = b.finish();
  f.close();
  return size;
}

const valueOf = (table: string, i: number) => utf8(`${table}:v${i}-`.repeat(20));

function openTable(w: ReturnType<typeof createSimWorld>, name: string, cache: BlockCache) {
  const size = writeTable(w, name, 2000, name.includes("classic") ? "bloom1" : "bloom2");
  const open = () => w.fs.open(name, { readOnly: true });
  return new TableReader(open(), name, size, cache, open);
}

test("tables with either filter read; an absent key reads no block", () => {
  const w = createSimWorld(7, { trace: false });
  const cache = new BlockCache(1 << 20);
  for (const name of ["classic.sst", "blocked.sst"]) {
    const t = openTable(w, name, cache);
    for (let i = 0; i < 4000; i += 97) {
      const e = t.get(keyOf(i), 1e9, bloomHash(keyOf(i)));
      if (i % 2 === 0) {
        assert.equal(fromUtf8(e?.value ?? new Uint8Array(0)), fromUtf8(valueOf(name, i)));
      } else assert.equal(e, undefined);
    }
    const misses = cache.misses;
    let reads = 0;
    for (let i = 1; i < 4000; i += 2) {
      const before = cache.misses + cache.hits;
      assert.equal(t.get(keyOf(i), 1e9, bloomHash(keyOf(i))), undefined);
      if (cache.misses + cache.hits > before) reads++;
    }
    assert.ok(reads < 60, `${name}: the filter spared most absent keys a block (${reads}/2000)`);
    assert.ok(cache.misses - misses <= reads);
    t.close();
  }
});

test("a full cache admits a point get's block on its second miss; values stay intact", () => {
  const w = createSimWorld(8, { trace: false });
  // Room for about five blocks (a block over a quarter of the cache is never cached).
  const cache = new BlockCache(5 * (4096 + 64 + 300));
  const a = openTable(w, "a.sst", cache), b = openTable(w, "b.sst", cache);
  const held: { name: string; i: number; value: Uint8Array }[] = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 4000; i += 202) {
      for (const [name, t] of [["a.sst", a], ["b.sst", b]] as const) {
        const e = t.get(keyOf(i), 1e9, bloomHash(keyOf(i)));
        assert.ok(e !== undefined);
        held.push({ name, i, value: e.value });
      }
    }
  }
  // Every value handed out is the caller's own copy, whichever buffer its block was read into.
  for (const h of held) assert.equal(fromUtf8(h.value), fromUtf8(valueOf(h.name, h.i)));
  assert.ok(cache.bytes <= cache.capacityBytes);
  // Once full, a block read for the first time is not cached; read again soon, it is.
  const c = openTable(w, "c.sst", cache);
  const count = cache.count;
  c.get(keyOf(0), 1e9, bloomHash(keyOf(0)));
  const first = cache.misses;
  c.get(keyOf(0), 1e9, bloomHash(keyOf(0)));
  assert.equal(cache.misses, first + 1, "not admitted on the first miss");
  c.get(keyOf(0), 1e9, bloomHash(keyOf(0)));
  assert.equal(cache.misses, first + 1, "admitted on the second: the third read hits");
  assert.ok(cache.count <= count + 1);
  for (const t of [a, b, c]) t.close();
});

test("a scan over a table leaves a full cache's hot blocks cached", () => {
  const w = createSimWorld(9, { trace: false });
  const cache = new BlockCache(6 * (4096 + 64 + 300));
  const hot = openTable(w, "hot.sst", cache), cold = openTable(w, "cold.sst", cache);
  const hotKeys = [0, 400, 800, 1200].map(keyOf);
  for (let round = 0; round < 3; round++) {
    for (const k of hotKeys) assert.ok(hot.get(k, 1e9, bloomHash(k)) !== undefined);
  }
  const cached = cache.count;
  const c = cold.cursor();
  let n = 0;
  for (c.seekToFirst(); c.valid(); c.next()) n++;
  assert.equal(n, 2000, "the scan saw every entry");
  const misses = cache.misses;
  for (const k of hotKeys) assert.ok(hot.get(k, 1e9, bloomHash(k)) !== undefined);
  assert.equal(cache.misses, misses, "the hot blocks are still cached after the scan");
  assert.ok(cache.count <= cached + 2);
  hot.close();
  cold.close();
});
