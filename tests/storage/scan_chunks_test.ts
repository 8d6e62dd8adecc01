/**
 * scanChunks (entries in arrays, one awaited step per chunk) and the batch write path
 * through the whole engine: the same entries as the per-entry scan, across flushed tables
 * and memtables, with tombstones, snapshots, limits, chunk boundaries and empty ranges.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SCAN_CHUNK_ENTRIES_MAX } from "../../src/limits_ops.ts";
import type { Db } from "../../src/storage/db.ts";
import type { ScanOptions } from "../../src/storage/scan.ts";
import type { WriteOp } from "../../src/storage/write_batch.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { TooLargeError } from "../../src/util/errors.ts";
import { createPrng } from "../../src/util/prng.ts";
import { collect, openSim, SMALL, world } from "./helpers.ts";

const key = (i: number) => `k${String(i).padStart(4, "0")}`;

async function chunked(
  it: AsyncIterable<[Uint8Array, Uint8Array][]>,
): Promise<{ entries: [string, string][]; sizes: number[] }> {
  const entries: [string, string][] = [];
  const sizes: number[] = [];
  for await (const chunk of it) {
    sizes.push(chunk.length);
    for (const [k, v] of chunk) entries.push([fromUtf8(k), fromUtf8(v)]);
  }
  return { entries, sizes };
}

/** 600 keys in random 1–80-op batches with deletes and overwrites; returns the model. */
async function load(db: Db, seed: number): Promise<Map<string, string>> {
  const p = createPrng(seed);
  const model = new Map<string, string>();
  for (let round = 0; round < 30; round++) {
    const ops: WriteOp[] = [];
    for (let i = 1 + p.int(80); i > 0; i--) {
      const k = key(p.int(600));
      if (p.int(5) === 0) {
        ops.push({ type: "del", key: k });
      } else {
        ops.push({ type: "put", key: k, value: `v${round}.${i}` });
      }
    }
    await db.write(ops);
    for (const op of ops) {
      if (op.type === "put") model.set(op.key as string, op.value as string);
      else model.delete(op.key as string);
    }
  }
  return model;
}

const sortedEntries = (m: Map<string, string>) =>
  [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));

for (const seed of [1, 2, 3]) {
  test(`scanChunks equals scan and the model (seed ${seed}), every chunk size and bound`, async () => {
    const w = world(seed);
    const db = await openSim(w, { ...SMALL, sync: "none" });
    const model = await load(db, seed);
    assert.ok(db.stats().levels.some((l) => l.files > 0), "some data is in tables");
    const want = sortedEntries(model);
    const ranges: ScanOptions[] = [
      {},
      { start: key(100), end: key(300) },
      { prefix: "k02" },
      { start: key(590), limit: 7 },
      { reverse: true, limit: 50 },
      { start: key(300), end: key(300) }, // empty
      { start: "z" }, // past every key
      { limit: 0 },
    ];
    for (const r of ranges) {
      const byEntry = await collect(db.scan(r));
      for (const size of [1, 3, 64, 1000]) {
        const { entries, sizes } = await chunked(db.scanChunks(r, size));
        assert.deepEqual(entries, byEntry, `range ${JSON.stringify(r)}, chunks of ${size}`);
        assert.ok(sizes.every((n) => n > 0 && n <= size), "no empty or oversized chunk");
        assert.ok(sizes.slice(0, -1).every((n) => n === size), "only the last chunk is short");
      }
    }
    assert.deepEqual(await collect(db.scan()), want);
    await db.close();
  });
}

test("scanChunks sees its snapshot, not writes made between chunks", async () => {
  const db = await openSim(world(7), { ...SMALL, sync: "none" });
  const model = await load(db, 7);
  const before = sortedEntries(model);
  const snap = db.snapshot();
  const live = db.scanChunks({}, 16);
  const fromSnap = db.scanChunks({ snapshot: snap }, 16);
  const seenLive: [string, string][] = [];
  let step = 0;
  for await (const chunk of live) {
    for (const [k, v] of chunk) seenLive.push([fromUtf8(k), fromUtf8(v)]);
    // Writes land (and memtables flush) between chunks: a scan is a view at its start.
    await db.write([{ type: "put", key: key(step), value: "new" }, { type: "del", key: key(599) }]);
    step++;
  }
  assert.deepEqual(seenLive, before);
  const snapEntries = await chunked(fromSnap);
  assert.deepEqual(snapEntries.entries, before);
  snap.release();
  assert.equal(fromUtf8(db.get(key(0)) ?? new Uint8Array()), "new");
  await db.close();
});

test("stopping a chunked scan early leaves compaction and later scans working; bad chunk sizes are refused", async () => {
  const db = await openSim(world(8), { ...SMALL, sync: "none" });
  await load(db, 8);
  for await (const chunk of db.scanChunks({}, 10)) {
    assert.equal(chunk.length, 10);
    break;
  }
  for (const bad of [0, -1, 1.5, NaN]) {
    assert.throws(() => db.scanChunks({}, bad), /chunkEntries/);
  }
  assert.throws(() => db.scanChunks({}, SCAN_CHUNK_ENTRIES_MAX + 1), TooLargeError);
  assert.equal((await chunked(db.scanChunks({}, SCAN_CHUNK_ENTRIES_MAX))).sizes.length, 1);
  // A compaction may delete the tables the broken-off scan had pinned; reads stay right.
  await db.compactRange();
  assert.equal((await collect(db.scan())).length, (await chunked(db.scanChunks())).entries.length);
  await db.close();
});

test("a 1,000-op batch of random keys is applied whole, in op order for repeated keys", async () => {
  const w = world(9);
  const db = await openSim(w, { ...SMALL, memtableBytes: 1 << 20, sync: "always" });
  const p = createPrng(9);
  const model = new Map<string, string>();
  const ops: WriteOp[] = [];
  for (let i = 0; i < 1000; i++) {
    const k = key(p.int(300)); // many repeats: the last op on a key wins
    const op: WriteOp = p.int(4) === 0
      ? { type: "del", key: k }
      : { type: "put", key: k, value: `v${i}` };
    ops.push(op);
    if (op.type === "put") model.set(k, op.value as string);
    else model.delete(k);
  }
  const seqBefore = db.stats().sequence;
  await db.write(ops);
  assert.equal(db.stats().sequence, seqBefore + 1000, "one sequence number per op");
  assert.deepEqual(await collect(db.scan()), sortedEntries(model));
  for (const [k, v] of model) assert.equal(fromUtf8(db.get(k) ?? new Uint8Array()), v);
  await db.close();
  // Replayed from the WAL, the batch reads back the same.
  const again = await openSim(w, { ...SMALL, memtableBytes: 1 << 20 });
  assert.deepEqual(await collect(again.scan()), sortedEntries(model));
  await again.close();
});

test("scanCopies slice: the same entries, each key and value an array of its own", async () => {
  const slab = await openSim(world(10), { ...SMALL, sync: "none" });
  const slice = await openSim(world(10), { ...SMALL, sync: "none", scanCopies: "slice" });
  await load(slab, 10);
  const model = await load(slice, 10);
  for (const r of [{}, { reverse: true, limit: 40 }, { start: key(200), end: key(260) }]) {
    assert.deepEqual(await collect(slice.scan(r)), await collect(slab.scan(r)));
  }
  const sliced = (await chunked(slice.scanChunks({}, 64))).entries;
  assert.deepEqual(sliced, sortedEntries(model));
  const owned = (b: Uint8Array) => b.byteOffset === 0 && b.buffer.byteLength === b.length;
  for await (const chunk of slice.scanChunks({}, 64)) {
    for (const [k, v] of chunk) assert.ok(owned(k) && owned(v), "a copy of its own");
  }
  let shared = 0; // the default carves copies from shared buffers
  for await (const [k] of slab.scan()) if (!owned(k)) shared++;
  assert.ok(shared > 0);
  await slab.close();
  await slice.close();
  await assert.rejects(
    openSim(world(11), { scanCopies: "views" as "slab" }),
    /scanCopies must be slab or slice/,
  );
});
