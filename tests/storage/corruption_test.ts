/**
 * A flipped byte anywhere the engine stores data gives a CorruptionError that
 * names the file and offset, never wrong data; a torn WAL tail is cut off and
 * reported in stats.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { SimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db } from "../../src/storage/db.ts";
import { readFooter } from "../../src/storage/sstable/format.ts";
import type { File, FileSystem, OpenOptions } from "../../src/platform/types.ts";
import type { Prng } from "../../src/util/prng.ts";
import { CorruptionError } from "../../src/util/errors.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { readAllRecords, RecordWriter } from "../../src/util/record_format.ts";
import { encodeSingle, setBatchSeq } from "../../src/storage/write_batch.ts";
import { DIR, openSim, str, world } from "./helpers.ts";

const KEYS = 400;
const key = (i: number) => `key${String(i).padStart(5, "0")}`;
const val = (i: number) => `value-${i}-${"v".repeat(i % 50)}`;

/** A database with one table (all keys) and nothing in the WAL. */
async function oneTable(seed: number): Promise<{ w: SimWorld; table: string }> {
  const w = world(seed);
  const db = await openSim(w);
  await db.write(
    Array.from({ length: KEYS }, (_, i) => ({ type: "put", key: key(i), value: val(i) })),
  );
  await db.flush();
  await db.close();
  const table = w.fs.list(DIR).find((n) => n.endsWith(".sst"));
  assert.ok(table !== undefined);
  return { w, table };
}

function isCorruption(file: string, offset?: number) {
  return (err: unknown) => {
    assert.ok(err instanceof CorruptionError, `expected CorruptionError, got ${String(err)}`);
    assert.equal(err.file, file);
    if (offset !== undefined) assert.equal(err.offset, offset);
    assert.match(err.message, new RegExp(`${file.replace(".", "\\.")} at offset \\d+`));
    return true;
  };
}

function layout(w: SimWorld, table: string) {
  const f = w.fs.open(`${DIR}/${table}`, { readOnly: true });
  const footer = readFooter(f, table, f.size());
  return { size: f.size(), footer };
}

test("flipped byte in a data block: CorruptionError naming table and block offset", async () => {
  const { w, table } = await oneTable(11);
  w.fs.flipByte(`${DIR}/${table}`, 20);
  const db = await openSim(w);
  assert.throws(() => db.get(key(0)), isCorruption(table, 0));
  await assert.rejects(async () => {
    for await (const _ of db.scan()) { /* read all */ }
  }, isCorruption(table, 0));
  await db.close();
});

test("flipped byte in the index block", async () => {
  const { w, table } = await oneTable(12);
  const { footer } = layout(w, table);
  w.fs.flipByte(`${DIR}/${table}`, footer.index.offset + 3);
  const db = await openSim(w);
  assert.throws(() => db.get(key(5)), isCorruption(table, footer.index.offset));
  await db.close();
});

test("flipped byte in the filter block", async () => {
  const { w, table } = await oneTable(13);
  const { footer } = layout(w, table);
  // The filter block sits right before the metaindex block.
  w.fs.flipByte(`${DIR}/${table}`, footer.metaindex.offset - 10);
  const db = await openSim(w);
  assert.throws(() => db.get(key(5)), isCorruption(table));
  await db.close();
});

test("flipped byte in the footer", async () => {
  const { w, table } = await oneTable(14);
  const { size } = layout(w, table);
  for (const back of [56, 20, 3]) {
    const w2 = (await oneTable(14)).w;
    w2.fs.flipByte(`${DIR}/${table}`, size - back);
    const db = await openSim(w2);
    assert.throws(() => db.get(key(1)), isCorruption(table));
    await db.close();
  }
  assert.ok(w.fs.stat(`${DIR}/${table}`) !== undefined);
});

test("a flip anywhere in a table never yields wrong data", async () => {
  for (let seed = 100; seed < 140; seed++) {
    const { w, table } = await oneTable(seed);
    const { size } = layout(w, table);
    w.fs.flipByte(`${DIR}/${table}`, w.prng.int(size), w.prng.int(8));
    const db = await openSim(w);
    for (let i = 0; i < KEYS; i++) {
      try {
        assert.equal(str(db.get(key(i))), val(i));
      } catch (err) {
        assert.ok(err instanceof CorruptionError, `seed ${seed}: ${String(err)}`);
      }
    }
    await db.close();
  }
});

/** Wraps a FileSystem so that reads of tables flip one bit with probability `rate`. */
function flakyReads(fs: FileSystem, prng: Prng, rate: number): FileSystem {
  const flip = (b: Uint8Array) => {
    if (b.length > 0 && prng.chance(rate)) b[prng.int(b.length)] ^= 1 << prng.int(8);
  };
  return {
    ...fs,
    open: (path: string, o?: OpenOptions): File => {
      const f = fs.open(path, o);
      if (!path.endsWith(".sst")) return f;
      return {
        path: f.path,
        size: () => f.size(),
        read: (off: number, len: number) => {
          const b = f.read(off, len);
          flip(b);
          return b;
        },
        readInto: (into: Uint8Array, off: number) => {
          const n = f.readInto(into, off);
          flip(into.subarray(0, n));
          return n;
        },
        write: (off: number, d: Uint8Array) => f.write(off, d),
        append: (d: Uint8Array) => f.append(d),
        truncate: (n: number) => f.truncate(n),
        sync: () => f.sync(),
        close: () => f.close(),
      };
    },
    readFile: (p: string) => fs.readFile(p),
    rename: (a: string, b: string) => fs.rename(a, b),
    remove: (p: string) => fs.remove(p),
    list: (d: string) => fs.list(d),
    mkdir: (d: string) => fs.mkdir(d),
    syncDir: (d: string) => fs.syncDir(d),
    stat: (p: string) => fs.stat(p),
  };
}

test("random read corruption is caught by block checksums, never served", async () => {
  const { w } = await oneTable(15);
  const db = await Db.open(flakyReads(w.fs, w.prng, 0.2), DIR, { blockCacheBytes: 0 });
  let caught = 0;
  for (let i = 0; i < KEYS; i++) {
    try {
      assert.equal(str(db.get(key(i))), val(i));
    } catch (err) {
      assert.ok(err instanceof CorruptionError, String(err));
      caught++;
    }
  }
  assert.ok(caught > 0, "some reads were corrupted");
  await db.close();
});

async function walWorld(seed: number): Promise<{ w: SimWorld; wal: string }> {
  const w = world(seed);
  const db = await openSim(w, { sync: "always" });
  for (let i = 0; i < 60; i++) await db.put(key(i), val(i).repeat(20));
  const wal = w.fs.list(DIR).find((n) => n.endsWith(".log"));
  assert.ok(wal !== undefined);
  w.fs.crash("lose"); // the process dies; everything acknowledged was synced
  return { w, wal };
}

test("flipped byte in the middle of the WAL: CorruptionError naming the log", async () => {
  const { w, wal } = await walWorld(16);
  w.fs.flipByte(`${DIR}/${wal}`, 100);
  await assert.rejects(openSim(w), isCorruption(wal, 0));
});

test("torn WAL tail is truncated and reported in stats", async () => {
  const { w, wal } = await walWorld(17);
  const size = w.fs.stat(`${DIR}/${wal}`)?.size ?? 0;
  const f = w.fs.open(`${DIR}/${wal}`);
  f.append(new Uint8Array([1, 2, 3, 4, 200, 0, 1, 9, 9])); // header promises 200 bytes
  await f.sync();
  f.close();
  const db = await openSim(w);
  for (let i = 0; i < 60; i++) assert.equal(str(db.get(key(i))), val(i).repeat(20));
  const torn = db.stats().tornTails;
  assert.equal(torn.length, 1);
  assert.equal(torn[0].file, wal);
  // The WAL is preallocated with zeros; the valid records end before them.
  assert.ok(torn[0].offset > 0 && torn[0].offset < size, `offset ${torn[0].offset}`);
  assert.equal(torn[0].droppedBytes, size + 9 - torn[0].offset);
  await db.close();
});

test("an all-zero WAL tail is preallocated space: cut silently, not reported", async () => {
  const { w, wal } = await walWorld(21);
  const db = await openSim(w);
  for (let i = 0; i < 60; i++) assert.equal(str(db.get(key(i))), val(i).repeat(20));
  assert.deepEqual(db.stats().tornTails, []);
  assert.ok(w.fs.stat(`${DIR}/${wal}`) === undefined, "replayed WAL deleted after its flush");
  await db.close();
});

test("a WAL batch whose sequence goes back is corruption, not an assertion", async () => {
  const { w, wal } = await walWorld(22);
  const path = `${DIR}/${wal}`;
  const { validBytes } = readAllRecords(w.fs.readFile(path), wal);
  // A well-formed, checksummed record whose batch reuses sequence 5 (60 were replayed).
  const batch = encodeSingle(utf8("again"), utf8("x"));
  setBatchSeq(batch.payload, 5);
  const writer = new RecordWriter(validBytes);
  writer.append(batch.payload);
  const f = w.fs.open(path);
  f.write(validBytes, writer.take());
  await f.sync();
  f.close();
  await assert.rejects(openSim(w), (err: unknown) => {
    assert.ok(isCorruption(wal, validBytes)(err));
    assert.match(String(err), /batch sequence 5 does not follow 60/);
    return true;
  });
});

async function manifestWorld(seed: number): Promise<{ w: SimWorld; manifest: string }> {
  const w = world(seed);
  const db = await openSim(w, { memtableBytes: 4096, tableFileBytes: 2048 });
  for (let i = 0; i < 300; i++) await db.put(key(i), val(i));
  await db.flush();
  await db.close();
  const manifest = w.fs.list(DIR).find((n) => n.startsWith("MANIFEST-"));
  assert.ok(manifest !== undefined);
  return { w, manifest };
}

test("flipped byte in the manifest: CorruptionError naming the manifest", async () => {
  for (const where of ["first", "last"] as const) {
    const { w, manifest } = await manifestWorld(18);
    const size = w.fs.stat(`${DIR}/${manifest}`)?.size ?? 0;
    w.fs.flipByte(`${DIR}/${manifest}`, where === "first" ? 9 : size - 2);
    await assert.rejects(openSim(w), isCorruption(manifest));
  }
});

test("a cut-short last manifest record is an interrupted append: ignored and reported", async () => {
  const { w, manifest } = await manifestWorld(20);
  const path = `${DIR}/${manifest}`;
  const size = w.fs.stat(path)?.size ?? 0;
  const f = w.fs.open(path);
  f.truncate(size - 3); // the open's last edit (the new log number) loses its tail
  await f.sync();
  f.close();
  const db = await openSim(w);
  for (let i = 0; i < 300; i++) assert.equal(str(db.get(key(i))), val(i));
  const torn = db.stats().tornTails.filter((t) => t.file === manifest);
  assert.equal(torn.length, 1);
  assert.ok(torn[0].droppedBytes > 0 && torn[0].offset + torn[0].droppedBytes === size - 3);
  await db.close();
});

test("flipped byte in CURRENT", async () => {
  const { w } = await manifestWorld(19);
  w.fs.flipByte(`${DIR}/CURRENT`, 12);
  await assert.rejects(openSim(w), isCorruption("CURRENT"));
});
