/**
 * Level sizes with equal steps (level_targets.ts), level 0's batch estimate, and the level-1 tables
 * a level-0 compaction takes (level_zero_overlap.ts): only those some input has a key within, the
 * outputs ending before the others.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { BlockCache } from "../../src/storage/cache/block_cache.ts";
import { TableCache } from "../../src/storage/cache/table_cache.ts";
import { levelTargets, LevelZeroBatch } from "../../src/storage/compaction/level_targets.ts";
import { levelOneInputs } from "../../src/storage/compaction/level_zero_overlap.ts";
import { OutputSet } from "../../src/storage/compaction/output_set.ts";
import { encodeInternalKey, userKeyOf, ValueKind } from "../../src/storage/internal_key.ts";
import { pickCompaction } from "../../src/storage/compaction/picker.ts";
import { isTrivialMove } from "../../src/storage/compaction/compactor.ts";
import { Version } from "../../src/storage/version/version.ts";
import { Db } from "../../src/storage/db.ts";
import { type FileMeta, NUM_LEVELS } from "../../src/storage/version/version_edit.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";

const MB = 1e6;
const levels = (byLevel: Record<number, number>) =>
  Array.from({ length: 7 }, (_, l) => byLevel[l] ?? 0);
/** Bytes written per byte flushed for `n` levels of equal steps (the rule's cost). */
const cost = (n: number, total: number, batch: number) => n * (1 + (total / batch) ** (1 / n));

test("level targets: nothing below level 1 while one level is cheapest", () => {
  assert.deepEqual(levelTargets(levels({}), 7 * MB).slice(1), Array(5).fill(Infinity));
  const small = levelTargets(levels({ 1: 20 * MB }), 7 * MB);
  assert.equal(small[1], Infinity, "20 MB over a 7 MB batch: one level costs 3.9, two 5.4");
});

test("level targets: equal steps from the batch to the data, the cheapest count of levels", () => {
  for (const total of [120 * MB, 1_000 * MB, 50_000 * MB]) {
    const t = levelTargets(levels({ 1: total * 0.1, 2: total * 0.9 }), 7 * MB);
    const n = t.indexOf(Infinity) < 0 ? 6 : t.indexOf(Infinity); // level 6 never has one
    assert.ok(n >= 2, `${total}: at least the two levels holding data`);
    const r = (total / (7 * MB)) ** (1 / n);
    for (let l = 1; l < n; l++) {
      assert.ok(Math.abs(t[l] / (7 * MB * r ** l) - 1) < 1e-9, `${total}: level ${l}`);
    }
    for (let l = n; l < 6; l++) assert.equal(t[l], Infinity);
    for (let m = Math.max(2, n - 1); m <= Math.min(6, n + 1); m++) {
      assert.ok(cost(n, total, 7 * MB) <= cost(m, total, 7 * MB) + 1e-9, `${total}: ${n} vs ${m}`);
    }
  }
  // 120 MB over a 7 MB batch: two levels, level 1 about sqrt(7 × 120) MB (fixed sizes: 10 MiB).
  const t = levelTargets(levels({ 1: 10 * MB, 2: 110 * MB }), 7 * MB);
  assert.ok(t[1] > 28 * MB && t[1] < 30 * MB, `level 1 target ${t[1]}`);
  assert.equal(t[2], Infinity);
});

test("level targets: never fewer levels than the deepest holding data; steps of at least 1", () => {
  const t = levelTargets(levels({ 4: 2 * MB }), 7 * MB);
  assert.deepEqual(t.slice(1, 4), [7 * MB, 7 * MB, 7 * MB], "data below: every level above flows");
  assert.deepEqual(t.slice(4), [Infinity, Infinity]);
  const deep = levelTargets(levels({ 1: MB, 6: 500 * MB }), 7 * MB);
  for (let l = 1; l <= 5; l++) assert.ok(Number.isFinite(deep[l]), `level ${l} drains into 6`);
});

test("level-0 batch: level1Bytes before any flush, the tables found at open, then the flushes", () => {
  assert.equal(new LevelZeroBatch(10 * MB, []).bytes, 10 * MB);
  assert.equal(new LevelZeroBatch(10 * MB, [{ size: MB }, { size: 3 * MB }]).bytes, 8 * MB);
  const b = new LevelZeroBatch(10 * MB, []);
  for (let i = 0; i < 40; i++) b.note(2 * MB);
  assert.ok(Math.abs(b.bytes - 8 * MB) < 0.01 * MB, `four flushes of 2 MB: ${b.bytes}`);
  const before = b.bytes;
  b.note(0);
  assert.equal(b.bytes, before, "a flush that wrote no table says nothing of the batch");
});

function host(w: ReturnType<typeof createSimWorld>) {
  let next = 1;
  return {
    fs: w.fs,
    dir: "t",
    compression: "none" as const,
    newTableNumber: () => next++,
    releaseTableNumber: () => {},
  };
}

/** One table (a flush's: never cut) of `keys`. */
async function table(h: ReturnType<typeof host>, keys: string[], seq: number): Promise<FileMeta> {
  const out = new OutputSet(h, 1 << 20);
  for (const k of keys) await out.add(utf8(k), seq, ValueKind.Put, utf8(`${k}@${seq}`), true);
  const [f] = await out.finish();
  return f;
}

test("a level-0 compaction takes only the level-1 tables its inputs have keys within", async () => {
  const w = createSimWorld(5, { trace: false });
  w.fs.mkdir("t");
  const h = host(w);
  const tables = new TableCache(w.fs, "t", new BlockCache(1 << 20), 100);
  const b = await table(h, ["b1", "b2", "b3"], 1); // level 1
  const d = await table(h, ["d1", "d2"], 1);
  const f = await table(h, ["f1", "f2"], 1);
  // Level 0: spans a..g (every level-1 table within its range) but has keys only near d.
  const l0a = await table(h, ["a1", "d15", "g1"], 5);
  const l0b = await table(h, ["c1", "e1"], 6);
  const picked = levelOneInputs(tables, { level: 0, inputs: [l0a, l0b], next: [b, d, f] });
  assert.deepEqual(picked.next.map((t) => t.number), [d.number]);
  assert.deepEqual(picked.fences.map(fromUtf8), ["b1", "f1"]);
  // The merge's outputs end before each fence: none spans a table left in level 1.
  const out = new OutputSet(h, 1 << 20, "none", undefined, picked.fences);
  for (const k of ["a1", "c1", "d1", "d15", "d2", "e1", "g1"]) {
    await out.add(utf8(k), 9, ValueKind.Put, utf8(k), true);
  }
  const ranges = (await out.finish()).map((t) =>
    `${fromUtf8(userKeyOf(t.smallest))}..${fromUtf8(userKeyOf(t.largest))}`
  );
  assert.deepEqual(ranges, ["a1..a1", "c1..e1", "g1..g1"]);
});

test("engine: level-1 tables no flush touches stay unrewritten; every key reads back", async () => {
  const w = createSimWorld(6, { trace: false });
  const db = await Db.open(w.fs, "db", {
    memtableBytes: 8 * 1024,
    tableFileBytes: 2048,
    compression: "none",
  });
  const value = new Uint8Array(100).fill(0x62);
  // A middle range written once, then writes only on both sides of it.
  for (let i = 0; i < 300; i++) await db.put(`m${String(i).padStart(4, "0")}`, value);
  await db.flush();
  await db.compactRange();
  const written = db.stats().compactionBytesWritten;
  for (let round = 0; round < 30; round++) {
    const ops = [];
    for (let i = 0; i < 20; i++) {
      const n = String(round * 20 + i).padStart(4, "0");
      ops.push({ type: "put" as const, key: utf8(`a${n}`), value });
      ops.push({ type: "put" as const, key: utf8(`z${n}`), value });
    }
    await db.write(ops);
  }
  await db.flush();
  for (let i = 0; i < 100 && db.stats().levels.some((l) => l.score >= 1); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const stats = db.stats();
  // The middle range (about 33 KB) would be rewritten by each level-0 compaction taking it:
  // measured 214 KB with every table in range taken, 129 KB with those holding a key.
  const rewritten = stats.compactionBytesWritten - written;
  const fresh = 1200 * 110;
  assert.ok(stats.compactions > 2, `compactions ${stats.compactions}`);
  assert.ok(rewritten < fresh * 1.3, `compactions wrote ${rewritten} for ${fresh} new bytes`);
  for (let i = 0; i < 300; i += 7) {
    assert.ok(db.get(`m${String(i).padStart(4, "0")}`) !== undefined);
  }
  let count = 0;
  for (const _ of db.scanSync({})) count++;
  assert.equal(count, 300 + 1200);
  await db.close();
});

test("a level over its target gives first the table overlapping least below, for its size", () => {
  const table = (number: number, lo: string, hi: string, size: number): FileMeta => ({
    number,
    size,
    smallest: encodeInternalKey(utf8(lo), 9, ValueKind.Put),
    largest: encodeInternalKey(utf8(hi), 1, ValueKind.Put),
  });
  const at = (l: number, ...files: FileMeta[]) => {
    const levels: FileMeta[][] = Array.from({ length: NUM_LEVELS }, () => []);
    levels[l] = files;
    return levels;
  };
  // Level 1 holds 3 tables; with a 20,000-byte batch and 200,100 bytes in all, two levels are
  // cheapest, level 1's target is about 63,200 (under its 80,100) and level 2 has none.
  const levels = at(
    1,
    table(1, "a", "d", 40_000),
    table(2, "e", "h", 40_000),
    table(3, "x", "z", 100),
  );
  levels[2] = [table(4, "a", "c", 100_000), table(5, "f", "h", 20_000)];
  const v = new Version(levels);
  let c = pickCompaction(v, [], 20_000);
  assert.deepEqual([c?.level, c?.inputs.map((f) => f.number), c?.next.length], [1, [3], 0]);
  assert.ok(c !== undefined && isTrivialMove(c), "a table overlapping nothing moves down as it is");
  // Without it, the smaller overlap for its size (20,000 / 40,000 against 100,000 / 40,000) goes first,
  // where the compact pointer alone would give table 1 (it points past the level's end).
  levels[1] = levels[1].slice(0, 2);
  const pointer = encodeInternalKey(utf8("h"), 1, ValueKind.Put);
  c = pickCompaction(new Version(levels), [undefined, pointer], 20_000);
  assert.deepEqual(c?.inputs.map((f) => f.number), [2]);
  c = pickCompaction(new Version(levels), [undefined, undefined], 20_000);
  assert.deepEqual(c?.inputs.map((f) => f.number), [2]);
});
