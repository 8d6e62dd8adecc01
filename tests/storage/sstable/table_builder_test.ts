/**
 * The table builder's order check and its one filter hash per user key: a key's versions (newest
 * first, across block boundaries) all read back, every user key passes the filter, and entries
 * out of internal-key order are refused rather than written.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld } from "../../../src/platform/sim/sim_world.ts";
import { BlockCache } from "../../../src/storage/cache/block_cache.ts";
import { readTrailerSeq, ValueKind, writeTrailer } from "../../../src/storage/internal_key.ts";
import { bloomHash } from "../../../src/storage/sstable/bloom.ts";
import { TableBuilder } from "../../../src/storage/sstable/table_builder.ts";
import { TableReader } from "../../../src/storage/sstable/table_reader.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";

const keyOf = (i: number) => utf8(`k${String(i).padStart(5, "0")}`);

test("table builder: every version of every key reads back; each user key passes the filter", () => {
  const w = createSimWorld(11, { trace: false });
  const f = w.fs.open("t.sst", { create: true });
  const b = new TableBuilder(f, 512, "lz4");
  // Keys 0..299, key i with (i % 4) + 1 versions, newest (highest sequence) first; a prefix of
  // a longer key ("k00010" before "k000100") comes first.
  let seq = 1_000_000;
  const versions = (i: number) => (i % 4) + 1;
  for (let i = 0; i < 300; i++) {
    for (let v = versions(i); v >= 1; v--) {
      b.add(keyOf(i), seq + v, ValueKind.Put, utf8(`v${i}.${v}`));
    }
    seq -= 10;
  }
  const size = b.finish();
  f.close();
  const open = () => w.fs.open("t.sst", { readOnly: true });
  const t = new TableReader(open(), "t.sst", size, new BlockCache(1 << 20), open);
  seq = 1_000_000;
  for (let i = 0; i < 300; i++) {
    const k = keyOf(i);
    const newest = t.get(k, Number.MAX_SAFE_INTEGER, bloomHash(k));
    assert.equal(fromUtf8(newest?.value ?? new Uint8Array(0)), `v${i}.${versions(i)}`);
    const oldest = t.get(k, seq + 1, bloomHash(k)); // a snapshot seeing only version 1
    assert.equal(fromUtf8(oldest?.value ?? new Uint8Array(0)), `v${i}.1`);
    seq -= 10;
  }
  let entries = 0;
  const c = t.cursor();
  for (c.seekToFirst(); c.valid(); c.next()) entries++;
  assert.equal(entries, 750);
  t.close();
});

test("table builder: entries out of internal-key order are refused", () => {
  const w = createSimWorld(12, { trace: false });
  const cases: [string, number, string, number][] = [
    ["k2", 5, "k1", 9], // a smaller user key
    ["k10", 5, "k1", 9], // a prefix after the longer key
    ["k1", 5, "k1", 5], // the same key and sequence twice
    ["k1", 5, "k1", 6], // an older entry's sequence above a newer one's
  ];
  for (const [k1, s1, k2, s2] of cases) {
    const b = new TableBuilder(w.fs.open(`${k1}-${s1}.sst`, { create: true }));
    b.add(utf8(k1), s1, ValueKind.Put, utf8("a"));
    assert.throws(
      () => b.add(utf8(k2), s2, ValueKind.Put, utf8("b")),
      /out of order/,
      `${k2}@${s2} after ${k1}@${s1}`,
    );
  }
  const ok = new TableBuilder(w.fs.open("ok.sst", { create: true }));
  ok.add(utf8("k1"), 6, ValueKind.Put, utf8("a"));
  ok.add(utf8("k1"), 5, ValueKind.Delete, utf8(""));
  ok.add(utf8("k10"), 9, ValueKind.Put, utf8("b"));
  assert.equal(ok.entries, 3);
});

test("trailers: every sequence up to 2^53 - 1 round-trips; bits above are corruption", () => {
  const t = new Uint8Array(8);
  for (const seq of [0, 1, 255, 256, 2 ** 32 - 1, 2 ** 32, 2 ** 45, 2 ** 48 + 7, 2 ** 53 - 1]) {
    writeTrailer(t, 0, seq, ValueKind.Put);
    assert.equal(t[0], ValueKind.Put);
    assert.equal(readTrailerSeq(t, 0), seq, `sequence ${seq}`);
  }
  t[7] = 0x20; // bit 53
  assert.equal(readTrailerSeq(t, 0), -1);
  assert.throws(() => writeTrailer(t, 0, 2 ** 53, ValueKind.Put));
});
