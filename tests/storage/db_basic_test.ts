import { test } from "node:test";
import assert from "node:assert/strict";
import { collect, openSim, SMALL, str, world } from "./helpers.ts";

test("put, get, delete, overwrite in the memtable", async () => {
  const db = await openSim(world(1));
  await db.put("a", "1");
  await db.put("b", "2");
  await db.put("a", "3");
  await db.delete("b");
  assert.equal(str(db.get("a")), "3");
  assert.equal(db.get("b"), undefined);
  assert.equal(db.get("zz"), undefined);
  await db.close();
});

test("data survives flush, compaction and reopen", async () => {
  const w = world(2);
  let db = await openSim(w, { ...SMALL, sync: "none" });
  for (let i = 0; i < 2000; i++) await db.put(`k${String(i % 500).padStart(4, "0")}`, `v${i}`);
  await db.delete("k0007");
  await db.flush();
  await db.compactRange();
  for (let i = 0; i < 500; i++) {
    const k = `k${String(i).padStart(4, "0")}`;
    assert.equal(str(db.get(k)), i === 7 ? undefined : `v${1500 + i}`, k);
  }
  await db.close();
  db = await openSim(w, SMALL);
  assert.equal(str(db.get("k0499")), "v1999");
  assert.equal(db.get("k0007"), undefined);
  const all = await collect(db.scan());
  assert.equal(all.length, 499);
  const rev = await collect(db.scan({ reverse: true, limit: 3 }));
  assert.deepEqual(rev.map(([k]) => k), ["k0499", "k0498", "k0497"]);
  const pre = await collect(db.scan({ prefix: "k001" }));
  assert.equal(pre.length, 10);
  const st = db.stats();
  assert.ok(st.levels.some((l, i) => i > 0 && l.files > 0), JSON.stringify(st.levels));
  await db.close();
});
