/** stats().scanSteps: the engine entries scans step over, tombstones and read-ahead included. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { utf8 } from "../../src/util/bytes.ts";
import { openSim, world } from "./helpers.ts";

const key = (i: number) => utf8(`k${String(i).padStart(3, "0")}`);

test("scanSteps counts the tombstones a scan walks over, not only what it returns", async () => {
  const db = await openSim(world(1));
  for (let i = 0; i < 100; i++) await db.put(key(i), utf8("v"));
  for (let i = 1; i < 100; i++) await db.delete(key(i));
  const before = db.stats().scanSteps;
  const got = [...db.scanSync({})];
  assert.equal(got.length, 1);
  // k000, then each of 99 deleted keys' tombstone and the put under it.
  assert.equal(db.stats().scanSteps - before, 1 + 99 * 2);
  // A scan bounded by an end key stops there; one with a limit stops at its last entry.
  const bounded = db.stats().scanSteps;
  assert.equal([...db.scanSync({ start: key(0), end: key(1) })].length, 1);
  assert.equal([...db.scanSync({ start: key(0), limit: 1 })].length, 1);
  assert.equal(db.stats().scanSteps - bounded, 2);
  // Reverse scans count too.
  const reverse = db.stats().scanSteps;
  assert.equal([...db.scanSync({ reverse: true })].length, 1);
  assert.equal(db.stats().scanSteps - reverse, 1 + 99 * 2);
  await db.close();
});
