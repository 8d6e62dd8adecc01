/**
 * ScanOptions.keysOnly: the same keys as a scan, both ways and across memtable and tables,
 * every value handed out empty (a split's key counts: src/kv/region_split.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { openSim, world } from "./helpers.ts";

const key = (i: number) => utf8(`k${String(i).padStart(3, "0")}`);

test("a keys-only scan lists the scan's keys with empty values, forward and reverse", async () => {
  const db = await openSim(world(2));
  for (let i = 0; i < 60; i++) await db.put(key(i), utf8(`value-${i}`.repeat(50)));
  await db.flush(); // some keys in a table, the rest in the memtable
  for (let i = 40; i < 80; i++) await db.put(key(i), utf8(`new-${i}`));
  for (let i = 0; i < 80; i += 7) await db.delete(key(i));
  for (const reverse of [false, true]) {
    const o = { start: key(5), end: key(75), reverse };
    const full = [...db.scanSync(o)].map(([k]) => fromUtf8(k));
    const keys = [...db.scanSync({ ...o, keysOnly: true })];
    assert.deepEqual(keys.map(([k]) => fromUtf8(k)), full);
    assert.ok(full.length > 50, `${full.length} keys`);
    assert.ok(keys.every(([, v]) => v.length === 0));
  }
  await db.close();
});
