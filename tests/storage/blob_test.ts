/**
 * Values kept apart from the tables in blob files (`blobMinBytes`; docs/storage.md "Blob
 * files"): reads of every kind see the same data as without them, a mostly-dead blob file has
 * its live values moved out and is deleted, damage is a CorruptionError, and the engine's
 * size estimates count the values.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Db, type DbOptions } from "../../src/storage/db.ts";
import { CorruptionError, InvalidArgumentError } from "../../src/util/errors.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { collect, DIR, SMALL, str, world } from "./helpers.ts";
import type { SimWorld } from "../../src/platform/sim/sim_world.ts";
import { pickBlobCollection } from "../../src/storage/compaction/picker.ts";
import { isTrivialMove, outputLevel } from "../../src/storage/compaction/compactor.ts";
import { encodeInternalKey, ValueKind } from "../../src/storage/internal_key.ts";
import { Version } from "../../src/storage/version/version.ts";
import {
  BLOB_REF_BYTES_MAX,
  decodeBlobRefInto,
  decodeBlobRefRange,
  encodeBlobRef,
  readBlobRef,
} from "../../src/storage/blob/blob_ref.ts";
import { BlobFiles } from "../../src/storage/blob/blob_files.ts";
import { BLOB_FILE_BYTES_TARGET } from "../../src/limits_storage.ts";
import { type FileMeta, NUM_LEVELS } from "../../src/storage/version/version_edit.ts";

const BLOBS: DbOptions = { ...SMALL, memtableBytes: 16 * 1024, blobMinBytes: 64 };

/** A value of `n` bytes that names its key and version (so a wrong blob read shows). */
function value(key: string, version: number, n: number): string {
  const head = `${key}@${version}:`;
  return head + "v".repeat(Math.max(0, n - head.length));
}

function blobFiles(w: SimWorld): string[] {
  return w.fs.list(DIR).filter((n) => n.endsWith(".blob"));
}

async function settle(db: Db): Promise<void> {
  await db.flush();
  await db.compactRange();
}

/** Writes 300 keys (most large, some small), overwrites a third, deletes a tenth. */
async function fill(db: Db): Promise<Map<string, string>> {
  const want = new Map<string, string>();
  for (let i = 0; i < 300; i++) {
    const key = `k${String(i).padStart(4, "0")}`;
    const v = value(key, 1, i % 7 === 0 ? 20 : 100 + (i % 5) * 60);
    await db.put(key, v);
    want.set(key, v);
  }
  for (let i = 0; i < 300; i += 3) {
    const key = `k${String(i).padStart(4, "0")}`;
    const v = value(key, 2, 150);
    await db.put(key, v);
    want.set(key, v);
  }
  for (let i = 5; i < 300; i += 10) {
    const key = `k${String(i).padStart(4, "0")}`;
    await db.delete(key);
    want.delete(key);
  }
  return want;
}

async function checkAll(db: Db, want: Map<string, string>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const key = `k${String(i).padStart(4, "0")}`;
    assert.equal(str(db.get(key)), want.get(key), key);
  }
  const sorted = [...want.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  assert.deepEqual(await collect(db.scan()), sorted);
  assert.deepEqual(await collect(db.scan({ reverse: true })), [...sorted].reverse());
  const sync = [...db.scanSync({ start: "k0100", end: "k0200" })].map(([k, v]) => [
    fromUtf8(k),
    fromUtf8(v),
  ]);
  assert.deepEqual(sync, sorted.filter(([k]) => k >= "k0100" && k < "k0200"));
  let chunked = 0;
  for await (const chunk of db.scanChunks({}, 7)) chunked += chunk.length;
  assert.equal(chunked, want.size);
}

test("blob files: gets and scans of every kind read the same data, before and after reopening", async () => {
  const w = world(21);
  const db = await Db.open(w.fs, DIR, BLOBS);
  const want = await fill(db);
  await settle(db);
  const st = db.stats();
  assert.ok(st.blobs.files > 0 && st.blobs.bytes > 0, JSON.stringify(st.blobs));
  assert.ok(blobFiles(w).length > 0, "no blob file on disk");
  await checkAll(db, want);
  await db.close();
  const again = await Db.open(w.fs, DIR, BLOBS);
  await checkAll(again, want);
  assert.deepEqual(again.stats().blobs.files, st.blobs.files, "the manifest keeps the files");
  await again.close();
  // Without the option the store still reads its blob files (the option only decides writes).
  const plain = await Db.open(w.fs, DIR, SMALL);
  await checkAll(plain, want);
  await plain.close();
});

test("blob files: a snapshot keeps reading the values it saw after they are overwritten", async () => {
  const w = world(22);
  const db = await Db.open(w.fs, DIR, BLOBS);
  const want = await fill(db);
  const snap = db.snapshot();
  for (const key of want.keys()) await db.put(key, value(key, 9, 200));
  await settle(db);
  for (const [key, v] of want) assert.equal(str(db.get(key, { snapshot: snap })), v, key);
  assert.equal(
    (await collect(db.scan({ snapshot: snap }))).length,
    want.size,
    "the snapshot's scan",
  );
  snap.release();
  await db.close();
});

test("blob files: overwrites leave files mostly dead; their live values move and the files go", async () => {
  const w = world(23);
  const db = await Db.open(w.fs, DIR, BLOBS);
  const keys = Array.from({ length: 200 }, (_, i) => `key${String(i).padStart(4, "0")}`);
  // Every round rewrites every key: each earlier round's values become garbage.
  for (let round = 0; round < 12; round++) {
    for (const key of keys) await db.put(key, value(key, round, 300));
    await db.flush();
  }
  await db.compactRange();
  // Collections run in background steps once no level needs compacting: wait, bounded.
  for (let i = 0; i < 200 && db.stats().blobs.garbageBytes > db.stats().blobs.bytes / 2; i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const st = db.stats();
  const live = keys.length * (4 + 300);
  assert.ok(st.blobs.bytes <= 3 * live, `blob bytes ${st.blobs.bytes} for ${live} live`);
  assert.ok(st.filesDeleted > 0);
  assert.deepEqual(blobFiles(w).length, st.blobs.files, "dead blob files left on disk");
  for (const key of keys) assert.equal(str(db.get(key)), value(key, 11, 300), key);
  await db.close();
  const again = await Db.open(w.fs, DIR, BLOBS);
  for (const key of keys) assert.equal(str(again.get(key)), value(key, 11, 300), key);
  await again.close();
});

test("blob files: a collection moves the live values out of a mostly-dead file, then it goes", async () => {
  const w = world(24);
  const db = await Db.open(w.fs, DIR, { ...BLOBS, memtableBytes: 64 * 1024 });
  // One flush of 100 values, then three quarters of them deleted and compacted away.
  for (let i = 0; i < 100; i++) await db.put(`a${i}`, value(`a${i}`, 1, 200));
  await db.flush();
  const first = db.stats().blobs;
  const [firstFile] = blobFiles(w);
  assert.equal(first.files, 1);
  for (let i = 0; i < 75; i++) await db.delete(`a${i}`);
  await settle(db);
  for (let i = 0; i < 100 && db.stats().blobs.collections === 0; i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const st = db.stats();
  assert.ok(st.blobs.collections >= 1, "no collection ran");
  assert.ok(!blobFiles(w).includes(firstFile), `${firstFile} is still there`);
  assert.ok(st.blobs.bytes < first.bytes / 2, `${st.blobs.bytes} against ${first.bytes}`);
  assert.equal(st.blobs.garbageBytes, 0, "the dead file is gone");
  for (let i = 0; i < 100; i++) {
    assert.equal(str(db.get(`a${i}`)), i < 75 ? undefined : value(`a${i}`, 1, 200));
  }
  await db.close();
});

test("blob files: a damaged record is a CorruptionError, never other bytes", async () => {
  const w = world(25);
  const db = await Db.open(w.fs, DIR, BLOBS);
  await db.put("x", value("x", 1, 500));
  await db.flush();
  const [name] = blobFiles(w);
  const path = `${DIR}/${name}`;
  const bytes = w.fs.readFile(path);
  bytes[10] ^= 0xff;
  const f = w.fs.open(path, {});
  f.write(0, bytes);
  f.close();
  assert.throws(() => db.get("x"), CorruptionError);
  await db.close();
});

test("blob files: blobMinBytes must be 0 or at least 32", async () => {
  const w = world(26);
  await assert.rejects(Db.open(w.fs, DIR, { blobMinBytes: 16 }), InvalidArgumentError);
  await assert.rejects(Db.open(w.fs, DIR, { blobMinBytes: -1 }), InvalidArgumentError);
});

test("blob files: size estimates count the values a range's tables reference", async () => {
  const w = world(27);
  const sizes: number[] = [];
  for (const blobMinBytes of [0, 64]) {
    const db = await Db.open(w.fs, `${DIR}${blobMinBytes}`, {
      ...SMALL,
      memtableBytes: 64 * 1024,
      compression: "none",
      blobMinBytes,
    });
    for (let i = 0; i < 400; i++) {
      await db.put(utf8(`r${String(i).padStart(4, "0")}`), value("r", i, 500));
    }
    await settle(db);
    sizes.push(db.approximateSize("r", "s"));
    await db.close();
  }
  // Both near 400 × 500 bytes: the blob side counts its values, not its references.
  assert.ok(sizes[0] > 180_000 && sizes[1] > 180_000, `sizes ${sizes}`);
  assert.ok(Math.abs(sizes[0] - sizes[1]) < sizes[0] * 0.2, `sizes ${sizes}`);
});

test("blob collection pick: the most dead file first, its deepest table, in place on the last level", () => {
  const table = (number: number, lo: string, hi: string, blobs: number[]): FileMeta => ({
    number,
    size: 1000,
    smallest: encodeInternalKey(utf8(lo), 9, ValueKind.Put),
    largest: encodeInternalKey(utf8(hi), 1, ValueKind.Put),
    blobs,
  });
  const levels: FileMeta[][] = Array.from({ length: NUM_LEVELS }, () => []);
  levels[0].push(table(10, "a", "z", [3]));
  levels[2].push(table(11, "a", "f", [4]), table(12, "g", "m", [5]));
  levels[3].push(table(13, "a", "c", [5]));
  levels[NUM_LEVELS - 1].push(table(14, "n", "p", [4]));
  const v = new Version(levels);
  const use = (garbage: number) => ({ size: 100, garbage });
  // File 3 (only under 50 % dead) is left; 4 is the most dead, its deepest table is 14.
  let c = pickBlobCollection(v, new Map([[3, use(40)], [4, use(90)], [5, use(60)]]), 50);
  assert.deepEqual([c?.level, c?.inputs.map((f) => f.number), c?.next.length], [6, [14], 0]);
  assert.ok(c !== undefined && !isTrivialMove(c), "a collection is always rewritten");
  assert.equal(outputLevel(c!), NUM_LEVELS - 1, "in place on the last level");
  // File 5: its deepest table is at level 3, merged with what overlaps it below (none here).
  c = pickBlobCollection(v, new Map([[5, use(60)]]), 50);
  assert.deepEqual([c?.level, c?.inputs.map((f) => f.number), outputLevel(c!)], [3, [13], 4]);
  // Only level 0 references file 3: level 0's own compactions will carry it.
  assert.equal(pickBlobCollection(v, new Map([[3, use(99)]]), 50), undefined);
  assert.equal(pickBlobCollection(v, new Map([[4, use(10)]]), 50), undefined);
});

test("liveBytes: the live keys' and values' bytes, blob values counted unread, up to a limit", async () => {
  for (const blobMinBytes of [0, 64]) {
    const w = world(28);
    const db = await Db.open(w.fs, DIR, { ...BLOBS, blobMinBytes });
    const want = await fill(db);
    await settle(db);
    await db.put("k0001", value("k0001", 3, 90)); // a newer version in the memtable
    want.set("k0001", value("k0001", 3, 90));
    let total = 0;
    for (const [k, v] of want) total += k.length + v.length;
    assert.equal(db.liveBytes("k", "l", Number.MAX_SAFE_INTEGER), total, `blobs ${blobMinBytes}`);
    const partial = db.liveBytes("k0100", "k0200", Number.MAX_SAFE_INTEGER);
    let inRange = 0;
    for (const [k, v] of want) if (k >= "k0100" && k < "k0200") inRange += k.length + v.length;
    assert.equal(partial, inRange);
    // Counting stops once past the limit: more than it, less than the whole.
    const capped = db.liveBytes("k", undefined, 1000);
    assert.ok(capped > 1000 && capped < 1500, `capped ${capped}`);
    // Damage to a blob file is not read: the count needs no value.
    for (const name of blobFiles(w)) w.fs.remove(`${DIR}/${name}`);
    assert.equal(db.liveBytes("k", "l", Number.MAX_SAFE_INTEGER), total);
    await db.close();
  }
});

test("blob files: a value read again comes from the block cache, and the reader owns its copy", async () => {
  const w = world(29);
  const db = await Db.open(w.fs, DIR, BLOBS);
  await db.put("hot", value("hot", 1, 400));
  await db.flush();
  const first = db.get("hot")!;
  const { hits, misses } = db.stats().blockCache;
  const second = db.get("hot")!;
  // Two hits: the table's block, and the value itself.
  assert.deepEqual(
    [db.stats().blockCache.hits - hits, db.stats().blockCache.misses - misses],
    [2, 0],
  );
  assert.equal(str(second), value("hot", 1, 400));
  first.fill(0x7a); // a caller scribbling on its copies
  second.fill(0x7a);
  assert.equal(str(db.get("hot")), value("hot", 1, 400));
  await db.close();
});

test("blob references: encoded and decoded back; malformed ones are corruption", () => {
  const buf = new Uint8Array(BLOB_REF_BYTES_MAX);
  const out = { file: 0, offset: 0, length: 0, rawLength: 0 };
  const refs = [[2, 0, 32, 0], [300, 2 ** 40, 1 << 27, 0], [2 ** 50, 5, 1, 0], [9, 7, 40, 4000]];
  for (const [file, offset, length, rawLength] of refs) {
    const n = encodeBlobRef(buf, file, offset, length, rawLength);
    assert.ok(decodeBlobRefInto(buf.subarray(0, n), out));
    assert.deepEqual(out, { file, offset, length, rawLength });
    assert.deepEqual(readBlobRef(buf.subarray(0, n), "t"), { file, offset, length, rawLength });
    assert.equal(decodeBlobRefInto(buf.subarray(0, 2), out), false, "cut short");
    assert.throws(() => readBlobRef(buf.subarray(0, 2), "t"), CorruptionError);
    const longer = new Uint8Array(n + (rawLength === 0 ? 2 : 1));
    longer.set(buf.subarray(0, n));
    longer[longer.length - 1] = 1;
    assert.equal(decodeBlobRefInto(longer, out), false, "a field past the last");
    // Where a compaction reads it: in the middle of an input block, decoded into a reused object.
    const block = new Uint8Array(n + 6).fill(0xff);
    block.set(buf.subarray(0, n), 3);
    Object.assign(out, { file: 1, offset: 1, length: 1, rawLength: 77 });
    assert.ok(decodeBlobRefRange(block, 3, n, out));
    assert.deepEqual(out, { file, offset, length, rawLength }, "nothing left from the last ref");
    assert.equal(decodeBlobRefRange(block, 3, n + 1, out), false, "a byte past the reference");
  }
  assert.equal(decodeBlobRefInto(new Uint8Array([1, 2, 3, 0]), out), false, "a raw length of 0");
  const nineBytes = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0]);
  assert.equal(decodeBlobRefInto(nineBytes, out), false, "a varint longer than 8 bytes");
});

test("blob files: at most maxOpen stay open; the least recently read is closed first", async () => {
  const w = world(31);
  const db = await Db.open(w.fs, DIR, BLOBS);
  for (let f = 0; f < 3; f++) {
    await db.put(`f${f}`, value(`f${f}`, 1, 300));
    await db.flush(); // one blob file each
  }
  await db.close();
  const names = blobFiles(w).sort();
  assert.equal(names.length, 3);
  let open = 0;
  /** `target` with `name` replaced (the rest bound to it: the objects have private fields). */
  const wrap = <T extends object>(target: T, name: string, fn: unknown): T =>
    new Proxy(target, {
      get: (o, p) => {
        if (p === name) return fn;
        const v = Reflect.get(o, p, o);
        return typeof v === "function" ? v.bind(o) : v;
      },
    });
  const counting = wrap(w.fs, "open", (path: string, o: Parameters<typeof w.fs.open>[1]) => {
    const f = w.fs.open(path, o);
    open++;
    return wrap(f, "close", () => {
      open--;
      f.close();
    });
  });
  const files = new BlobFiles(counting, DIR, undefined, 2);
  const first = (name: string) => {
    const bytes = w.fs.readFile(`${DIR}/${name}`);
    return files.read(Number(name.slice(0, -5)), 0, bytes.length - 4);
  };
  for (const name of [...names, names[0], names[1]]) {
    first(name);
    assert.ok(open <= 2, `${open} files open`);
  }
  files.closeAll();
  assert.equal(open, 0);
});

test("blob files: a job ends its blob file at BLOB_FILE_BYTES_TARGET and starts another", async () => {
  const w = world(32);
  // Values inline first (two level-0 tables of two each), then one compaction moves all of them
  // to blob files: the fourth comes once the file holds 1.2 targets, and goes to a new one.
  const big = new Uint8Array(Math.ceil(BLOB_FILE_BYTES_TARGET * 0.4)).fill(7);
  let db = await Db.open(w.fs, DIR, { compression: "none" });
  for (let i = 0; i < 4; i++) {
    await db.put(`big${i}`, big);
    if (i % 2 === 1) await db.flush();
  }
  await db.close();
  db = await Db.open(w.fs, DIR, { blobMinBytes: 64, compression: "none" });
  await db.compactRange();
  assert.equal(db.stats().blobs.files, 2, "the first file ended past the target");
  for (let i = 0; i < 4; i++) assert.equal(db.get(`big${i}`)?.length, big.length);
  await db.close();
});

test("blob files: compressible values are stored LZ4-compressed, random ones as they are", async () => {
  const sizes: number[] = [];
  for (const compression of ["lz4", "none"] as const) {
    const w = world(30);
    const db = await Db.open(w.fs, DIR, { ...BLOBS, compression });
    const text = (i: number) => `{"id":${i},"name":"user ${i}","tags":["a","b","c"]}`.repeat(20);
    for (let i = 0; i < 100; i++) await db.put(`t${i}`, text(i));
    const noise = new Uint8Array(600);
    let x = 7;
    for (let i = 0; i < noise.length; i++) noise[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    await db.put("random", noise);
    await settle(db);
    for (let i = 0; i < 100; i++) assert.equal(str(db.get(`t${i}`)), text(i));
    assert.deepEqual(db.get("random"), noise);
    let total = 0;
    for (let i = 0; i < 100; i++) total += `t${i}`.length + text(i).length;
    assert.equal(db.liveBytes("t", "u", Number.MAX_SAFE_INTEGER), total, "the values' own sizes");
    const scanned = await collect(db.scan({ start: "t", end: "u" }));
    assert.equal(scanned.length, 100);
    sizes.push(db.stats().blobs.bytes);
    await db.close();
  }
  // JSON repeated 20 times compresses several times over; the random value not at all.
  assert.ok(sizes[0] * 3 < sizes[1], `blob bytes lz4 ${sizes[0]} against none ${sizes[1]}`);
});
