/**
 * Range sizes and split keys from the tables' indexes (src/storage/range_size.ts):
 * a range's size is proportional to the keys it holds, every level's copy
 * counts, the memtable does not, and split keys cut a range into parts of
 * about equal bytes, strictly inside it and in order.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Db } from "../../src/storage/db.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { ClosedError, InvalidArgumentError } from "../../src/util/errors.ts";
import { createPrng } from "../../src/util/prng.ts";
import { DIR, openSim, world } from "./helpers.ts";

const KEYS = 20_000;
const key = (i: number) => `k${String(i).padStart(6, "0")}`;
const OPTIONS = {
  memtableBytes: 256 * 1024,
  tableFileBytes: 128 * 1024,
  compression: "none",
} as const;

/** Keys 0..KEYS-1 with 100-byte random values, flushed and compacted. */
async function filled(seed: number): Promise<{ db: Db; tableBytes: () => number }> {
  const w = world(seed);
  const db = await openSim(w, OPTIONS);
  const prng = createPrng(seed);
  for (let from = 0; from < KEYS; from += 1000) {
    const ops = [];
    for (let i = from; i < from + 1000; i++) {
      const value = new Uint8Array(100).map(() => prng.int(256));
      ops.push({ type: "put" as const, key: key(i), value });
    }
    await db.write(ops);
  }
  await db.compactRange();
  const tableBytes = () =>
    w.fs.list(DIR).filter((n) => n.endsWith(".sst"))
      .reduce((n, f) => n + (w.fs.stat(`${DIR}/${f}`)?.size ?? 0), 0);
  return { db, tableBytes };
}

/** Within `tolerance` (a fraction) of `want`. */
function near(got: number, want: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(got - want) <= want * tolerance, `${what}: ${got}, want about ${want}`);
}

test("range size: proportional to the keys in the range; the memtable is not counted", async () => {
  const { db, tableBytes } = await filled(1);
  const all = db.approximateSize("");
  near(all, tableBytes(), 0.01, "whole keyspace");
  near(db.approximateSize(key(5000), key(15000)), all / 2, 0.05, "the middle half");
  near(db.approximateSize(key(0), key(2000)), all / 10, 0.1, "the first tenth");
  near(db.approximateSize(key(18000)), all / 10, 0.1, "the last tenth, no end");
  assert.ok(db.approximateSize(key(100), key(101)) <= 8192, "one key: at most a block or two");
  assert.equal(db.approximateSize("z"), 0, "past every key");
  assert.equal(db.approximateSize("a", "b"), 0, "before every key");
  await db.put("k0100000", "in the memtable only");
  assert.equal(db.approximateSize(""), all);
  await db.close();
});

test("range size: an overwritten range counts every level's copy", async () => {
  const { db } = await filled(2);
  const left = db.approximateSize(key(0), key(10000));
  const right = db.approximateSize(key(10000));
  const ops = [];
  for (let i = 0; i < 10000; i++) ops.push({ type: "put" as const, key: key(i), value: "x" });
  await db.write(ops);
  await db.flush(); // new level-0 tables over the old copies
  const after = db.approximateSize(key(0), key(10000));
  assert.ok(after > left, `${after} after the overwrite, ${left} before`);
  near(db.approximateSize(key(10000)), right, 0.02, "the untouched right half");
  await db.close();
});

test("split keys: parts of about equal bytes, strictly inside the range, in order", async () => {
  const { db } = await filled(3);
  const index = (k: Uint8Array) => Number(fromUtf8(k).slice(1));
  const [half] = db.splitKeys("", undefined, 2);
  near(index(half), KEYS / 2, 0.03, "the middle key");
  const quarters = db.splitKeys(key(0), key(KEYS), 4).map(index);
  assert.equal(quarters.length, 3);
  quarters.forEach((q, i) => near(q, (KEYS / 4) * (i + 1), 0.05, `quarter ${i + 1}`));
  const inner = db.splitKeys(key(1000), key(3000), 2).map(index);
  assert.equal(inner.length, 1);
  assert.ok(inner[0] > 1000 && inner[0] < 3000, `${inner[0]} inside (1000, 3000)`);
  near(inner[0], 2000, 0.1, "the middle of 1000..3000");
  const many = db.splitKeys("", undefined, 64).map(index);
  assert.ok(many.length >= 60 && many.length <= 63, `${many.length} keys for 64 parts`);
  assert.ok(many.every((k, i) => i === 0 || k > many[i - 1]), "increasing");
  assert.deepEqual(db.splitKeys(key(100), key(101), 2), [], "a one-key range has no cut");
  await db.close();
});

test("split keys and sizes: bad part counts and a closed database are clear errors", async () => {
  const { db } = await filled(4);
  for (const parts of [1, 0, -2, 2.5, Number.NaN]) {
    assert.throws(() => db.splitKeys("", undefined, parts), InvalidArgumentError, `${parts}`);
  }
  await db.close();
  assert.throws(() => db.approximateSize(""), ClosedError);
  assert.throws(() => db.splitKeys("", undefined, 2), ClosedError);
});
