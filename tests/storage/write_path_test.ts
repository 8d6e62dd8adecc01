import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../src/platform/detect.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { ClosedError, IoError, NoSpaceError } from "../../src/util/errors.ts";
import { collect, openSim, str, world } from "./helpers.ts";

test("group commit: concurrent writers share one append and one fdatasync", async () => {
  const db = await openSim(world(1), { sync: "always" });
  const before = db.stats().walSyncs;
  await Promise.all(Array.from({ length: 100 }, (_, i) => db.put(`k${i}`, `v${i}`)));
  const st = db.stats();
  assert.ok(st.walSyncs - before <= 2, `syncs: ${st.walSyncs - before}`);
  assert.equal(str(db.get("k99")), "v99");
  await db.close();
});

test("a failed WAL sync is sticky: every later write fails, reads still work", async () => {
  const w = world(2);
  const db = await openSim(w, { sync: "always" });
  await db.put("a", "1");
  w.fs.failSync(1);
  await assert.rejects(db.put("b", "2"), (e: unknown) => e instanceof ClosedError);
  await assert.rejects(db.put("c", "3"), (e: unknown) => {
    assert.ok(e instanceof ClosedError);
    assert.ok(e.cause instanceof IoError);
    return true;
  });
  assert.equal(str(db.get("a")), "1");
  assert.equal(db.get("b"), undefined, "a write whose sync failed is never visible");
  assert.match(db.stats().failed ?? "", /fdatasync failed/);
  await db.close();
});

test("sync modes batched and none acknowledge before the fsync", async () => {
  for (const sync of ["batched", "none"] as const) {
    const w = world(3);
    const db = await openSim(w, { sync });
    for (let i = 0; i < 50; i++) await db.put(`k${i}`, "v");
    assert.equal(db.stats().walSyncs > 0, sync === "batched");
    await db.close();
  }
});

test("wal: false writes are durable after flush or close, not before", async () => {
  const w = world(4);
  let db = await openSim(w, { wal: false });
  await db.put("applied", "7");
  await db.flush();
  await db.put("later", "x");
  w.fs.crash("lose");
  db = await openSim(w, { wal: false });
  assert.equal(str(db.get("applied")), "7");
  assert.equal(db.get("later"), undefined);
  await db.put("later", "y");
  await db.close();
  db = await openSim(w, { wal: false });
  assert.equal(str(db.get("later")), "y");
  assert.equal(w.fs.list("db").filter((n) => n.endsWith(".log")).length, 0);
  await db.close();
});

test("staged backpressure shows in stats under a write burst", async () => {
  const w = world(5);
  // Uncompressed: the sizes are chosen for 900-byte stored values (LZ4 would make them ~10 B).
  const options = { sync: "none", memtableBytes: 4096, tableFileBytes: 1024 } as const;
  const db = await openSim(w, { ...options, compression: "none" });
  const value = "x".repeat(900);
  for (let i = 0; i < 3000; i++) await db.put(`k${i % 700}`, value);
  const st = db.stats();
  assert.ok(st.memtableStalls + st.writeSlowdowns + st.writeStops > 0, JSON.stringify(st));
  assert.ok(["none", "slowdown", "stop"].includes(st.backpressure));
  assert.ok(st.flushes > 10 && st.compactions > 0);
  assert.equal((await collect(db.scan())).length, 700);
  await db.close();
});

test("snapshots keep their view across flush and compaction", async () => {
  const db = await openSim(world(6), { memtableBytes: 4096, tableFileBytes: 1024 });
  for (let i = 0; i < 100; i++) await db.put(`k${i}`, "old");
  const snap = db.snapshot();
  for (let i = 0; i < 100; i++) await db.put(`k${i}`, "new");
  await db.delete("k5");
  await db.compactRange();
  assert.equal(str(snap.get("k5")), "old");
  assert.equal(db.get("k5"), undefined);
  assert.equal((await collect(snap.scan())).filter(([, v]) => v === "old").length, 100);
  snap.release();
  assert.throws(() => snap.get("k1"));
  await db.close();
});

test("operations after close fail with ClosedError", async () => {
  const db = await openSim(world(7));
  await db.close();
  await assert.rejects(db.put("a", "b"), (e: unknown) => e instanceof ClosedError);
  assert.throws(() => db.get("a"), (e: unknown) => e instanceof ClosedError);
});

test("a full disk fails the write with NoSpaceError, then writes stay failed", async () => {
  const w = createSimWorld(8, { trace: false, fs: { capacityBytes: 256 * 1024 } });
  // Uncompressed: the repeated values would otherwise shrink tenfold and never fill the disk.
  const db = await openSim(w, { sync: "none", memtableBytes: 16 * 1024, compression: "none" });
  let first: unknown;
  for (let i = 0; i < 10_000 && first === undefined; i++) {
    await db.put(`k${i}`, "x".repeat(100)).catch((e: unknown) => (first = e));
  }
  assert.ok(first instanceof ClosedError && first.cause instanceof NoSpaceError, String(first));
  await assert.rejects(db.put("more", "y"), (e: unknown) => e instanceof ClosedError);
  assert.equal(str(db.get("k0")), "x".repeat(100), "reads still work");
  await db.close();
});

test("the table cache keeps at most maxOpenTables files open, and reads stay right", async () => {
  const db = await openSim(world(9), {
    sync: "none",
    memtableBytes: 4096,
    tableFileBytes: 1024,
    maxOpenTables: 2,
  });
  for (let i = 0; i < 600; i++) await db.put(`k${String(i).padStart(4, "0")}`, `v${i}`);
  await db.flush();
  const it = db.scan()[Symbol.asyncIterator]();
  const first = await it.next(); // a scan holding readers across evictions
  for (let i = 0; i < 600; i += 7) {
    assert.equal(str(db.get(`k${String(i).padStart(4, "0")}`)), `v${i}`);
  }
  assert.ok(db.stats().openTables <= 2, `open tables ${db.stats().openTables}`);
  let n = first.done ? 0 : 1;
  for (let r = await it.next(); !r.done; r = await it.next()) n++;
  assert.equal(n, 600);
  await db.close();
});

test("with a clock, background steps yield on timers and still finish (sim clock driven)", async () => {
  const w = world(10);
  const db = await openSim(w, {
    sync: "always",
    memtableBytes: 4096,
    tableFileBytes: 1024,
    clock: w.clock,
  });
  /** Awaits `p` while advancing virtual time, as a real event loop would. */
  async function drive<T>(p: Promise<T>): Promise<T> {
    let done = false;
    const out = p.finally(() => (done = true));
    for (let i = 0; !done && i < 100_000; i++) {
      w.clock.advance(1);
      await new Promise((r) => setTimeout(r, 0));
    }
    assert.ok(done, "operation did not finish");
    return await out;
  }
  for (let i = 0; i < 400; i++) {
    await drive(db.put(`k${String(i % 150).padStart(3, "0")}`, `v${i}-${"x".repeat(60)}`));
  }
  await drive(db.flush());
  await drive(db.compactRange());
  for (let i = 250; i < 400; i++) {
    assert.equal(str(db.get(`k${String(i % 150).padStart(3, "0")}`)), `v${i}-${"x".repeat(60)}`);
  }
  assert.ok(db.stats().flushes > 5 && db.stats().compactions + db.stats().trivialMoves > 0);
  await drive(db.close());
});

const VALUE_100 = "v".repeat(100);

/**
 * An engine on the real clock (the 4 ms step budget is wall time) and a
 * simulated disk, its one big memtable holding `count` keys `prefix000000`...
 */
async function openFilled(seed: number, prefix: string, count: number) {
  const db = await openSim(world(seed), {
    wal: false,
    memtableBytes: 64 * 1024 * 1024,
    clock: getPlatform().clock,
  });
  for (let i = 0; i < count; i++) await db.put(`${prefix}${String(i).padStart(6, "0")}`, VALUE_100);
  return db;
}

test("an explicit flush() lets other tasks run between its steps", async () => {
  // The Raft log's compaction calls flush() in the background; before, a waiting
  // flush() made every step skip its yield and the whole memtable flush held
  // the event loop (200-400 ms in the server).
  const db = await openFilled(11, "key-", 30_000);
  const value = VALUE_100;
  let ticks = 0;
  let flushing = true;
  const tick = () => {
    if (!flushing) return;
    ticks++;
    setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  await db.flush();
  flushing = false;
  assert.equal(db.stats().flushes, 1);
  assert.ok(ticks > 1, `other tasks ran ${ticks} times during the flush`);
  assert.equal(str(db.get("key-029999")), value);
  await db.close();
});

test("a flush() behind a running flush waits outside the write queue: writes go on", async () => {
  // The Raft log's compaction calls flush() while the previous memtable may
  // still be flushing. Its rotation used to wait for that inside the write
  // queue, and every write queued behind waited out the whole flush.
  const db = await openFilled(12, "a-", 20_000);
  const value = VALUE_100;
  const events: string[] = [];
  const first = db.flush().then(() => events.push("first flush"));
  for (let i = 0; i < 100 && !db.stats().immutableMemtable; i++) {
    await new Promise((r) => setTimeout(r, 0));
  }
  assert.ok(db.stats().immutableMemtable, "the first flush is running");
  await db.put("b-1", value); // into the new memtable
  const second = db.flush().then(() => events.push("second flush"));
  const write = db.put("b-2", value).then(() => events.push("write"));
  await Promise.all([first, second, write]);
  assert.deepEqual(events, ["write", "first flush", "second flush"]);
  assert.equal(db.stats().flushes, 2);
  assert.equal(str(db.get("b-2")), value);
  await db.close();
});

test("a flush leaves out versions every snapshot has moved past, and keeps what one still sees", async () => {
  const value = (i: number) => `v${i}-${"x".repeat(100)}`;
  async function flushVersions(keepSnapshot: boolean) {
    const w = world(13);
    const options = { wal: false, memtableBytes: 1024 * 1024, compression: "none" } as const;
    const db = await openSim(w, options); // uncompressed: the test counts the versions' bytes
    await db.put("k", value(0));
    await db.put("gone", "soon");
    const snap = keepSnapshot ? db.snapshot() : undefined;
    for (let i = 1; i <= 200; i++) await db.put("k", value(i));
    await db.delete("gone"); // the tombstone stays: an older value may sit in a deeper level
    await db.flush();
    const bytes = db.stats().levels[0].bytes;
    assert.equal(str(db.get("k")), value(200));
    assert.equal(db.get("gone"), undefined);
    if (snap !== undefined) {
      assert.equal(str(snap.get("k")), value(0), "the snapshot still reads its version");
      assert.equal(str(snap.get("gone")), "soon");
      snap.release();
    }
    await db.close();
    const reopened = await openSim(w, { wal: false });
    assert.equal(str(reopened.get("k")), value(200));
    assert.equal(reopened.get("gone"), undefined);
    await reopened.close();
    return bytes;
  }
  const without = await flushVersions(false);
  const withSnapshot = await flushVersions(true);
  assert.ok(withSnapshot > 200 * 100, `all 201 versions kept under a snapshot: ${withSnapshot} B`);
  assert.ok(without < withSnapshot / 10, `one version flushed: ${without} vs ${withSnapshot} B`);
});
