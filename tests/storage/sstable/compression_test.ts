/**
 * The LZ4 block codec and the store-compressed-only-if-it-pays rule: round trips over
 * shapes that exercise every length encoding, malformed input (fuzzed, truncated) that
 * must end in a DecodeError, never an exception of another kind or a hang; and the
 * uncompressed table format, unchanged byte for byte.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { lz4Compress, lz4Decompress } from "../../../src/storage/sstable/lz4.ts";
import {
  type BlockCompression,
  BlockType,
  compressBlock,
  decompressBlock,
} from "../../../src/storage/sstable/compression.ts";
import { createSimWorld } from "../../../src/platform/sim/sim_world.ts";
import { ValueKind } from "../../../src/storage/internal_key.ts";
import { TableBuilder } from "../../../src/storage/sstable/table_builder.ts";
import { utf8 } from "../../../src/util/bytes.ts";
import { DecodeError, readFixed32 } from "../../../src/util/coding.ts";
import { crc32c } from "../../../src/util/crc32c.ts";
import { createPrng } from "../../../src/util/prng.ts";

const prng = createPrng(1601);

function jsonLike(n: number): Uint8Array {
  let s = "";
  for (let i = 0; s.length < n; i++) {
    s += JSON.stringify({ id: i, user: `user_${i}`, city: ["Oslo", "Lima"][i % 2], ok: true });
  }
  return utf8(s.slice(0, n));
}

function roundTrip(src: Uint8Array): number {
  const out = new Uint8Array(src.length + 64 + Math.ceil(src.length / 255));
  const end = lz4Compress(src, out, 0, out.length);
  assert.ok(end > 0, `compressed ${src.length} bytes`);
  const back = new Uint8Array(src.length);
  lz4Decompress(out, 0, end, back);
  assert.deepEqual(back, src);
  return end;
}

test("lz4: round trips empty, tiny, repetitive, text, random and long-run inputs", () => {
  const shapes: Uint8Array[] = [
    new Uint8Array(0),
    utf8("a"),
    utf8("abcdefghijkl"), // 12 bytes: too short for any match
    new Uint8Array(5000).fill(7), // one long overlapping match (length continuation bytes)
    jsonLike(4096),
    jsonLike(100_000), // offsets near and past the 64 KiB window
    prng.fill(new Uint8Array(4096)), // no matches: one long literal run
  ];
  const mixed = new Uint8Array(20_000);
  for (let i = 0; i < mixed.length; i += 1000) {
    mixed.set(i % 2000 === 0 ? prng.fill(new Uint8Array(1000)) : jsonLike(1000), i);
  }
  shapes.push(mixed);
  for (const s of shapes) roundTrip(s);
  assert.ok(roundTrip(new Uint8Array(5000).fill(7)) < 40, "a run compresses to a few bytes");
  assert.ok(roundTrip(jsonLike(4096)) < 4096 / 2, "JSON-like text at least halves");
});

test("lz4: the compressor gives up (-1) when the output would pass its limit", () => {
  const random = prng.fill(new Uint8Array(4096));
  const out = new Uint8Array(8192);
  assert.equal(lz4Compress(random, out, 0, 4096 - 512), -1);
  assert.equal(lz4Compress(jsonLike(4096), out, 0, 100), -1);
});

test("compressBlock: stores compressed only when it saves an eighth", () => {
  const text = jsonLike(4096);
  const stored = compressBlock(text, "lz4");
  assert.equal(stored.type, BlockType.Lz4);
  assert.ok(stored.bytes.length <= 4096 - 512);
  assert.deepEqual(decompressBlock(stored.bytes.slice(), stored.type), text);

  const random = prng.fill(new Uint8Array(4096));
  assert.equal(compressBlock(random, "lz4").type, BlockType.Uncompressed);
  // About 10 % compressible: a saving below 12.5 % is not worth a decode on every read.
  const tenth = prng.fill(new Uint8Array(4096));
  tenth.fill(0, 0, 420);
  assert.equal(compressBlock(tenth, "lz4").type, BlockType.Uncompressed);
  tenth.fill(0, 0, 1000);
  assert.equal(compressBlock(tenth, "lz4").type, BlockType.Lz4);
  assert.equal(compressBlock(text, "none").type, BlockType.Uncompressed);
  assert.equal(compressBlock(text, "none").bytes, text);
});

function decodeOutcome(stored: Uint8Array, type: number): "ok" | "error" {
  try {
    decompressBlock(stored, type);
    return "ok";
  } catch (err) {
    assert.ok(err instanceof DecodeError, `expected DecodeError, got ${String(err)}`);
    return "error";
  }
}

test("decompressBlock: fuzzed, truncated and mislabelled bodies end in DecodeError", () => {
  const good = compressBlock(jsonLike(4096), "lz4").bytes.slice();
  let errors = 0;
  for (let round = 0; round < 1500; round++) {
    const body = good.slice();
    const flips = 1 + prng.int(8);
    for (let i = 0; i < flips; i++) body[prng.int(body.length)] = prng.int(256);
    if (decodeOutcome(body, BlockType.Lz4) === "error") errors++;
    const cut = good.subarray(0, prng.int(good.length));
    assert.equal(decodeOutcome(cut.slice(), BlockType.Lz4), "error", `cut at ${cut.length}`);
  }
  assert.ok(errors > 500, `most fuzzed bodies are rejected (${errors} of 1500)`);
  for (let round = 0; round < 300; round++) {
    decodeOutcome(prng.fill(new Uint8Array(1 + prng.int(300))), BlockType.Lz4);
  }
  assert.equal(decodeOutcome(good, 9), "error");
  assert.throws(() => decompressBlock(good, 9), /unknown block type 9/);
  // A raw size the body could never expand to is refused before anything is allocated.
  assert.throws(
    () => decompressBlock(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f, 0x10, 0x41), 1),
    /raw size .* too large/,
  );
});

test("an uncompressed table is byte for byte the version-1 format written before compression", () => {
  const w = createSimWorld(1, { trace: false });
  const build = (compression: BlockCompression) => {
    const f = w.fs.open(`${compression}.sst`, { create: true });
    // The classic filter, as then (new tables carry a blocked one: filter_admission_test.ts).
    const b = new TableBuilder(f, undefined, compression, "bloom1");
    for (let i = 0; i < 500; i++) {
      const value = JSON.stringify({ i, name: `user ${i}` });
      b.add(utf8(`key${String(i).padStart(5, "0")}`), 1000 + i, ValueKind.Put, utf8(value));
    }
    const size = b.finish();
    f.close();
    return { size, bytes: w.fs.readFile(`${compression}.sst`) };
  };
  // Size and CRC32C of this table as the writer before block compression produced it.
  const plain = build("none");
  assert.equal(plain.size, 20621);
  assert.equal(crc32c(plain.bytes).toString(16), "3f354ad");
  assert.equal(readFixed32(plain.bytes, plain.size - 16), 1, "footer version 1");
  const packed = build("lz4");
  assert.ok(packed.size < plain.size / 2, `${packed.size} bytes`);
  assert.equal(readFixed32(packed.bytes, packed.size - 16), 2, "footer version 2");
});
