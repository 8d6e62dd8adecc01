import { test } from "node:test";
import assert from "node:assert/strict";
import { DIR, openSim, str, world } from "./helpers.ts";
import { BlockCache } from "../../src/storage/cache/block_cache.ts";
import { TableCache } from "../../src/storage/cache/table_cache.ts";
import { join } from "../../src/storage/version/file_names.ts";
import type { SimWorld } from "../../src/platform/sim/sim_world.ts";

const key = (i: number): string => `k${String(i).padStart(4, "0")}`;

/** A store of many small tables, closed; returns its table count. */
async function fill(w: SimWorld): Promise<number> {
  const db = await openSim(w, { sync: "none", memtableBytes: 4096, tableFileBytes: 1024 });
  for (let i = 0; i < 600; i++) await db.put(key(i), `v${i}`);
  await db.flush();
  const tables = db.stats().levels.reduce((n, l) => n + l.files, 0);
  await db.close();
  return tables;
}

test("tables stay resident beyond the open-file budget; reads reopen files", async () => {
  const w = world(21);
  const tables = await fill(w);
  assert.ok(tables > 8, `tables ${tables}`);
  const db = await openSim(w, { maxOpenTables: 2 });
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 600; i += 3) assert.equal(str(db.get(key(i))), `v${i}`);
  }
  const st = db.stats();
  assert.ok(st.openTables <= 2, `open files ${st.openTables}`);
  assert.equal(st.residentTables.count, tables, "every table's index and filter kept");
  assert.ok(st.residentTables.bytes > 0);
  await db.close();
});

test("the readers' memory bound drops resident tables, and reads stay right", async () => {
  const w = world(22);
  await fill(w);
  const db = await openSim(w, { tableReaderBytes: 4096 });
  for (let i = 0; i < 600; i += 5) assert.equal(str(db.get(key(i))), `v${i}`);
  const st = db.stats();
  assert.ok(st.residentTables.count <= 3, `resident ${st.residentTables.count}`);
  assert.ok(st.openTables <= st.residentTables.count);
  await db.close();
});

test("with a clock, a reopened store opens its tables in the background", async () => {
  const w = world(23);
  const tables = await fill(w);
  const plain = await openSim(w);
  assert.equal(plain.stats().residentTables.count, 0, "no clock: nothing preloaded");
  await plain.close();
  const db = await openSim(w, { clock: w.clock });
  for (let i = 0; i < 1000 && db.stats().residentTables.count < tables; i++) {
    w.clock.advance(1);
    await new Promise((r) => setTimeout(r, 0));
  }
  assert.equal(db.stats().residentTables.count, tables);
  for (let i = 0; i < 600; i += 7) assert.equal(str(db.get(key(i))), `v${i}`);
  await db.close();
});

test("the preload stops within the readers' memory bound", async () => {
  const w = world(24);
  await fill(w);
  const db = await openSim(w, { clock: w.clock, tableReaderBytes: 8192 });
  for (let i = 0; i < 200; i++) {
    w.clock.advance(1);
    await new Promise((r) => setTimeout(r, 0));
  }
  assert.ok(db.stats().residentTables.bytes <= 8192, `${db.stats().residentTables.bytes}`);
  assert.ok(db.stats().residentTables.count > 0);
  await db.close();
});

test("a table just opened is not the first one closed when every older one was used", async () => {
  const w = world(25);
  await fill(w);
  const ssts = w.fs.list(DIR).filter((n) => n.endsWith(".sst")).slice(0, 3);
  const meta = ssts.map((n) => ({
    number: Number(n.slice(0, -4)),
    size: w.fs.stat(join(DIR, n))?.size ?? 0,
  }));
  const cache = new TableCache(w.fs, DIR, new BlockCache(0), 2);
  const [a, b, c] = meta;
  for (const t of [a, b, a, b]) cache.get(t.number, t.size); // both used again
  cache.get(c.number, c.size);
  assert.ok(cache.isOpen(c.number), "the newest table keeps its file");
  assert.equal(cache.openCount, 2);
  assert.ok(cache.has(a.number) && cache.has(b.number) && cache.has(c.number));
  cache.closeAll();
});
