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
      key: randomKey(prng),
      value: prng.fill(new Uint8Array(prng.chance(0.01) ? 300_000 : prng.int(200))),
    }));
    ops[0] = { ...ops[0], key: new Uint8Array([b, 0, 0]) };
    await db.write(ops);
  }
  return db;
}

/** Region 1's local prefix; region 2's (a snapshot of region 1 leaves it out). */
const REGION_1 = [0x10, 0, 0, 0, 0, 0, 0, 0, 1], REGION_2 = [0x10, 0, 0, 0, 0, 0, 0, 0, 2];
/** First bytes of keys: every namespace, shared, region-local and unknown. */
const HEADS = [[0], [2], [3], [4], [5], [6], [8, 1], [8, 200], [9, 15], [0x0c], [0x0d], [0x0e]]
  .concat([REGION_1, REGION_1, REGION_2]);

function randomKey(prng: ReturnType<typeof createPrng>): Uint8Array {
  const head = HEADS[prng.int(HEADS.length)];
  const key = prng.fill(new Uint8Array(head.length + prng.int(40)));
  key.set(head);
  return key;
}

/** What region 1's snapshot of the whole keyspace holds (the old namespaces 0x03 and 0x0E not). */
function inWholeSnapshot(line: string): boolean {
  const k = line.split("=")[0].split(",").map(Number);
  if ([0, 2, 4, 5, 6, 0x0c, 0x0d].includes(k[0])) return true;
  if (k[0] === 8 || k[0] === 9) return k.length > 1 && k[1] < 16;
  return REGION_1.every((b, i) => k[i] === b);
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
    const want = (await dump(src)).filter(inWholeSnapshot);
    assert.deepEqual(await dump(dst), want, `seed ${seed}`);
    assert.equal(importer.entries, want.length);
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
