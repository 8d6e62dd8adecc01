/**
 * Block compression through the engine: compressed tables are smaller and read back the
 * same, tables of both kinds (format versions 1 and 2) open side by side in one database,
 * and a damaged compressed block is a CorruptionError, never a crash or another error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { SimWorld } from "../../src/platform/sim/sim_world.ts";
import { type DbOptions, resolveOptions } from "../../src/storage/options.ts";
import { Block, BlockCursor } from "../../src/storage/sstable/block.ts";
import { BlockType } from "../../src/storage/sstable/compression.ts";
import {
  type BlockHandle,
  decodeHandle,
  readBlock,
  readFooter,
} from "../../src/storage/sstable/format.ts";
import { ByteReader, readFixed32, writeFixed32 } from "../../src/util/coding.ts";
import { crc32c, maskCrc } from "../../src/util/crc32c.ts";
import { CorruptionError, InvalidArgumentError } from "../../src/util/errors.ts";
import { createPrng } from "../../src/util/prng.ts";
import { collect, DIR, openSim, str, world } from "./helpers.ts";

const KEYS = 600;
const key = (i: number) => `user/${String(i).padStart(6, "0")}`;
const val = (i: number) => JSON.stringify({ id: i, name: `user ${i}`, city: "Oslo", ok: i % 3 });

async function fill(w: SimWorld, options: DbOptions, from = 0, to = KEYS): Promise<void> {
  const db = await openSim(w, options);
  const ops = [];
  for (let i = from; i < to; i++) ops.push({ type: "put" as const, key: key(i), value: val(i) });
  await db.write(ops);
  await db.flush();
  await db.close();
}

const tables = (w: SimWorld) => w.fs.list(DIR).filter((n) => n.endsWith(".sst")).sort();

/** The footer version and the data blocks (handle and trailer type) of a table. */
function inspect(w: SimWorld, table: string): { version: number; blocks: BlockHandle[] } {
  const f = w.fs.open(`${DIR}/${table}`, { readOnly: true });
  const footer = readFooter(f, table, f.size());
  const version = readFixed32(f.read(f.size() - 16, 4), 0);
  const index = new BlockCursor(new Block(readBlock(f, table, footer.index), table, 0));
  const blocks: BlockHandle[] = [];
  for (index.seekToFirst(); index.valid(); index.next()) {
    blocks.push(decodeHandle(new ByteReader(index.value())));
  }
  f.close();
  return { version, blocks };
}

function blockType(w: SimWorld, table: string, h: BlockHandle): number {
  return w.fs.readFile(`${DIR}/${table}`)[h.offset + h.size];
}

async function readsAll(w: SimWorld, options: DbOptions = {}, n = KEYS): Promise<void> {
  const db = await openSim(w, options);
  for (let i = 0; i < n; i += 7) assert.equal(str(db.get(key(i))), val(i));
  const all = await collect(db.scan());
  assert.equal(all.length, n);
  assert.deepEqual(all[n - 1], [key(n - 1), val(n - 1)]);
  await db.close();
}

test("compression: lz4 tables are smaller, version 2, and read back the same", async () => {
  const plain = world(1), packed = world(1);
  await fill(plain, { compression: "none" });
  await fill(packed, {}); // the default is lz4
  const [p] = tables(plain), [c] = tables(packed);
  const plainSize = plain.fs.readFile(`${DIR}/${p}`).length;
  const packedSize = packed.fs.readFile(`${DIR}/${c}`).length;
  assert.ok(packedSize < plainSize / 2, `${packedSize} vs ${plainSize} bytes`);
  const pi = inspect(plain, p), ci = inspect(packed, c);
  assert.equal(pi.version, 1);
  assert.ok(pi.blocks.every((h) => blockType(plain, p, h) === BlockType.Uncompressed));
  assert.equal(ci.version, 2);
  assert.ok(ci.blocks.every((h) => blockType(packed, c, h) === BlockType.Lz4));
  await readsAll(plain);
  await readsAll(packed);
});

test("compression: version 1 and version 2 tables live in one database", async () => {
  const w = world(2);
  await fill(w, { compression: "none" }, 0, KEYS / 2); // as a binary before compression wrote
  await fill(w, { compression: "lz4" }, KEYS / 2, KEYS);
  const versions = tables(w).map((t) => inspect(w, t).version);
  assert.deepEqual(versions, [1, 2]);
  await readsAll(w, { compression: "none" });
  const db = await openSim(w, { compression: "lz4" });
  await db.compactRange();
  await db.close();
  assert.ok(tables(w).every((t) => inspect(w, t).version === 2));
  await readsAll(w);
});

test("compression: a flipped byte in a compressed block fails its checksum", async () => {
  const w = world(3);
  await fill(w, {});
  const [t] = tables(w);
  const [first] = inspect(w, t).blocks;
  w.fs.flipByte(`${DIR}/${t}`, first.offset + 10);
  const db = await openSim(w);
  assert.throws(() => db.get(key(0)), (err: unknown) => {
    assert.ok(err instanceof CorruptionError);
    assert.equal(err.file, t);
    assert.match(err.message, /block checksum mismatch/);
    return true;
  });
  await db.close();
});

test("compression: fuzzed block bodies with a valid checksum never crash a read", async () => {
  const w = world(4);
  await fill(w, {});
  const [t] = tables(w);
  const path = `${DIR}/${t}`;
  const original = w.fs.readFile(path);
  const blocks = inspect(w, t).blocks;
  const prng = createPrng(44);
  let corruptions = 0;
  for (let round = 0; round < 60; round++) {
    const h = blocks[prng.int(blocks.length)];
    const bytes = original.slice();
    for (let i = 0; i < 1 + prng.int(6); i++) bytes[h.offset + prng.int(h.size)] = prng.int(256);
    // Re-sign the body, as a writer bug (not a disk error) would: only the decoder stands guard.
    const crc = maskCrc(crc32c(bytes.subarray(h.offset, h.offset + h.size + 1)));
    writeFixed32(bytes, h.offset + h.size + 1, crc);
    const f = w.fs.open(path, { truncate: true });
    f.write(0, bytes);
    f.close();
    const db = await openSim(w);
    try {
      for (let i = 0; i < KEYS; i += 37) db.get(key(i));
      await collect(db.scan());
    } catch (err) {
      assert.ok(err instanceof CorruptionError, `round ${round}: ${String(err)}`);
      assert.equal(err.file, t);
      corruptions++;
    }
    await db.close();
  }
  assert.ok(corruptions > 20, `most damaged blocks are reported (${corruptions} of 60)`);
});

test("compression: an unknown codec name is refused at open", () => {
  const bad = { compression: "zstd" } as unknown as DbOptions;
  assert.throws(() => resolveOptions(bad), InvalidArgumentError);
  assert.equal(resolveOptions({}).compression, "lz4");
  assert.equal(resolveOptions({ compression: "none" }).compression, "none");
});
