/**
 * close() and writes racing it: once close() has begun, put/delete/write are
 * refused with ClosedError; every write accepted before it is flushed by it,
 * also with the engine's WAL off (where a write accepted during the closing
 * flush used to resolve and then vanish).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ClosedError } from "../../src/util/errors.ts";
import { openSim, str, world } from "./helpers.ts";

test("close(): writes after it began are refused, writes before it are flushed (WAL off)", async () => {
  const w = world(7);
  let db = await openSim(w, { wal: false });
  const before = Array.from({ length: 100 }, (_, i) => db.put(`before${i}`, "v"));
  const closing = db.close();
  let closed = false;
  void closing.then(() => closed = true);
  // A write at every turn of the microtask queue until close() is done.
  const late: { key: string; outcome: Promise<unknown> }[] = [];
  for (let i = 0; !closed && i < 10_000; i++) {
    const key = `late${i}`;
    late.push({ key, outcome: db.put(key, "v").then(() => "accepted", (err) => err) });
    await Promise.resolve();
  }
  await closing;
  await Promise.all(before);
  assert.ok(late.length > 1, "close() took more than one turn");
  for (const { key, outcome } of late) {
    const err = await outcome;
    assert.ok(err instanceof ClosedError, `${key}: ${String(err)}`);
    assert.match(err.message, /^database is clos(ing|ed)/);
  }
  db = await openSim(w, { wal: false });
  for (let i = 0; i < 100; i++) assert.equal(str(db.get(`before${i}`)), "v", `before${i}`);
  for (const { key } of late) assert.equal(db.get(key), undefined, key);
  await db.close();
});

test("close(): delete and write are refused once it began, with the WAL on too", async () => {
  const db = await openSim(world(8));
  await db.put("k", "v");
  const closing = db.close();
  await assert.rejects(db.delete("k"), ClosedError);
  await assert.rejects(db.write([{ type: "put", key: "x", value: "y" }]), ClosedError);
  await assert.rejects(db.put("x", "y"), ClosedError);
  await closing;
  await assert.rejects(db.put("x", "y"), ClosedError);
});
