import { test } from "node:test";
import assert from "node:assert/strict";
import { exportSnapshot, SnapshotImporter } from "../../src/kv/kv_snapshot.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db } from "../../src/storage/db.ts";
import { CorruptionError } from "../../src/util/errors.ts";
import { createPrng } from "../../src/util/prng.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import { dump } from "./kv_helpers.ts";

async function source(seed: number): Promise<Db> {
  const world = createSimWorld(seed);
  world.fs.mkdir("src");
  const db = await Db.open(world.fs, "src", { wal: false });
  const prng = createPrng(seed);
  for (let b = 0; b < 20; b++) {
    const ops = Array.from({ length: 50 }, () => ({
      type: "put" as const,
      key: prng.fill(new Uint8Array(1 + prng.int(40))),
      value: prng.fill(new Uint8Array(prng.chance(0.01) ? 300_000 : prng.int(200))),
    }));
    ops[0] = { ...ops[0], key: new Uint8Array([b, 0, 0]) };
    await db.write(ops);
  }
  return db;
}

async function fresh(): Promise<Db> {
  const world = createSimWorld(99);
  world.fs.mkdir("dst");
  return await Db.open(world.fs, "dst", { wal: false });
}

async function streamOf(db: Db, chunk: number): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  for await (const p of exportSnapshot(db, chunk)) pieces.push(p);
  return concatBytes(pieces);
}

test("kv snapshot: export → import in random splits rebuilds an identical engine", async () => {
  for (const seed of [1, 2, 3]) {
    const src = await source(seed);
    const stream = await streamOf(src, 4096);
    const dst = await fresh();
    const importer = new SnapshotImporter(dst);
    const prng = createPrng(seed);
    for (let at = 0; at < stream.length;) {
      const n = 1 + prng.int(prng.chance(0.5) ? 16 : 70_000);
      await importer.push(stream.subarray(at, at + n));
      at += n;
    }
    await importer.finish();
    assert.deepEqual(await dump(dst), await dump(src), `seed ${seed}`);
    assert.equal(importer.entries, (await dump(src)).length);
  }
});

test("kv snapshot: a flipped byte, a truncated stream or junk is a CorruptionError", async () => {
  const src = await source(7);
  const stream = await streamOf(src, 1 << 20);
  const prng = createPrng(7);
  for (let trial = 0; trial < 40; trial++) {
    const bad = stream.slice();
    bad[prng.int(bad.length)] ^= 1 << prng.int(8);
    const importer = new SnapshotImporter(await fresh());
    await assert.rejects(
      (async () => {
        await importer.push(bad);
        await importer.finish();
      })(),
      CorruptionError,
      `trial ${trial}`,
    );
  }
  const cut = new SnapshotImporter(await fresh());
  await cut.push(stream.subarray(0, stream.length - 5));
  await assert.rejects(cut.finish(), /ended early/);
  await assert.rejects(new SnapshotImporter(await fresh()).push(new Uint8Array(64)), /bad magic/);
});
