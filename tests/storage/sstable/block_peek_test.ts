/**
 * A large data block opened by its start (src/storage/sstable/block_peek.ts): a table cursor
 * steps over a large value's block, forward and back, reading tens of KiB of it; asked for the
 * value, it reads the block whole; uncompressed and LZ4 blocks alike. A damaged start falls
 * back to the whole read, which reports it; a start that differs from the block is caught when
 * the value is read.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld } from "../../../src/platform/sim/sim_world.ts";
import type { File } from "../../../src/platform/types.ts";
import { BlockCache } from "../../../src/storage/cache/block_cache.ts";
import { ValueKind } from "../../../src/storage/internal_key.ts";
import type { BlockCompression } from "../../../src/storage/sstable/compression.ts";
import { lz4Compress, lz4DecompressPrefix } from "../../../src/storage/sstable/lz4.ts";
import { TableBuilder } from "../../../src/storage/sstable/table_builder.ts";
import { TableReader } from "../../../src/storage/sstable/table_reader.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { CorruptionError } from "../../../src/util/errors.ts";
import { createPrng } from "../../../src/util/prng.ts";

const MiB = 1 << 20;
const SMALL = ["a1", "a2", "a3", "big", "c1", "c2"];

/**
 * 2 MiB of noise, or 24 MiB of a pattern LZ4 shrinks ~255-fold (to about 96 KiB stored: past
 * the 64 KiB from which a block is peeked).
 */
function bigValue(random: boolean): Uint8Array {
  const prng = createPrng(3);
  if (random) return new Uint8Array(2 * MiB).map(() => prng.nextU32() & 0xff);
  return new Uint8Array(24 * MiB).map((_, i) => (i * 7) & 0xff);
}

/** Bytes read through the table's files. */
const reads = { bytes: 0 };

function counting(f: File): File {
  return {
    path: f.path,
    size: () => f.size(),
    read: (offset, length) => {
      reads.bytes += length;
      return f.read(offset, length);
    },
    readInto: (into, offset) => {
      reads.bytes += into.length;
      return f.readInto(into, offset);
    },
    write: (offset, data) => f.write(offset, data),
    append: (data) => f.append(data),
    truncate: (size) => f.truncate(size),
    sync: () => f.sync(),
    close: () => f.close(),
  };
}

function table(compression: BlockCompression, big: Uint8Array, damageAt?: number): TableReader {
  const w = createSimWorld(5, { trace: false });
  const f = w.fs.open("t.sst", { create: true });
  const b = new TableBuilder(f, undefined, compression);
  for (const [i, k] of SMALL.entries()) {
    b.add(utf8(k), 10 + i, ValueKind.Put, k === "big" ? big : utf8(`${k}-`.repeat(40)));
  }
  const size = b.finish();
  if (damageAt !== undefined) f.write(damageAt, new Uint8Array([f.read(damageAt, 1)[0] ^ 0x20]));
  f.close();
  const open = () => counting(w.fs.open("t.sst", { readOnly: true }));
  return new TableReader(open(), "t.sst", size, new BlockCache(64 * MiB), open);
}

for (const compression of ["none", "lz4"] as const) {
  for (const random of [false, true]) {
    test(`a large block's keys without its value (${compression}, random ${random})`, () => {
      const big = bigValue(random);
      const t = table(compression, big);
      const c = t.cursor();
      reads.bytes = 0;
      const keys: string[] = [];
      for (c.seekToFirst(); c.valid(); c.next()) keys.push(fromUtf8(c.key()));
      for (c.seekToLast(); c.valid(); c.prev()) keys.push(fromUtf8(c.key()));
      c.seek(utf8("b"), Number.MAX_SAFE_INTEGER);
      keys.push(fromUtf8(c.key()));
      assert.deepEqual(keys, [...SMALL, ...[...SMALL].reverse(), "big"]);
      assert.ok(reads.bytes < 200_000, `stepping over the block read ${reads.bytes} bytes`);
      // A small entry's value from the start, the large one from the block read whole.
      c.seek(utf8("a3"), Number.MAX_SAFE_INTEGER);
      assert.equal(fromUtf8(c.value()), "a3-".repeat(40));
      c.next();
      assert.equal(c.kind(), ValueKind.Put);
      assert.equal(c.seq(), 13);
      assert.equal(Buffer.compare(c.value(), big), 0);
      t.close();
    });
  }
}

test("a damaged block start: reported, by the whole read, before its value is handed out", () => {
  // A byte of a1's entry: the peek fails to decode and the whole read behind it fails its
  // checksum, or it decodes to other bytes, unchecked, and the value's read fails it.
  for (const at of [1, 5, 9]) {
    const t = table("none", bigValue(true), at);
    const c = t.cursor();
    assert.throws(() => {
      for (c.seekToFirst(); c.valid(); c.next()) c.key();
      c.seek(utf8("big"), Number.MAX_SAFE_INTEGER);
      c.value();
    }, CorruptionError);
    t.close();
  }
});

test("lz4DecompressPrefix decodes a truncated input's start, exactly as far as it goes", () => {
  const raw = new Uint8Array(300_000).map((_, i) => (i % 1000 < 500 ? i * 13 : i >> 3) & 0xff);
  const stored = new Uint8Array(raw.length + 2048);
  const end = lz4Compress(raw, stored, 0, stored.length);
  assert.ok(end > 0);
  for (const cut of [1, 17, 1000, Math.floor(end / 2), end]) {
    const out = new Uint8Array(64 * 1024);
    const n = lz4DecompressPrefix(stored, 0, cut, out);
    assert.ok(n <= out.length);
    assert.equal(Buffer.compare(out.subarray(0, n), raw.subarray(0, n)), 0, `cut ${cut}`);
    if (cut === end) assert.equal(n, out.length);
  }
});
