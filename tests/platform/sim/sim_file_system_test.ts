import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld } from "../../../src/platform/sim/sim_world.ts";
import { IoError, NoSpaceError } from "../../../src/util/errors.ts";

const b = (...xs: number[]) => new Uint8Array(xs);

test("SimFileSystem.crash('lose') keeps exactly the synced bytes", async () => {
  for (let seed = 1; seed <= 50; seed++) {
    const { fs, prng } = createSimWorld(seed);
    fs.mkdir("d");
    const f = fs.open("d/log", { create: true });
    await fs.syncDir("d");
    const synced: number[] = [];
    const all: number[] = [];
    for (let i = 0; i < 20; i++) {
      const chunk = prng.fill(new Uint8Array(1 + prng.int(50)));
      f.append(chunk);
      all.push(...chunk);
      if (prng.chance(0.3)) {
        await f.sync();
        synced.length = 0;
        synced.push(...all);
      }
    }
    fs.crash("lose");
    assert.deepEqual(fs.readFile("d/log"), new Uint8Array(synced), `seed ${seed}`);
  }
});

test("SimFileSystem.crash('tear') leaves synced bytes plus a prefix of the unsynced ones", async () => {
  let sawTornMiddle = false;
  for (let seed = 1; seed <= 200; seed++) {
    const { fs, prng } = createSimWorld(seed);
    fs.mkdir("d");
    const f = fs.open("d/log", { create: true });
    await fs.syncDir("d");
    const first = prng.fill(new Uint8Array(100));
    f.append(first);
    await f.sync();
    const rest = prng.fill(new Uint8Array(300));
    f.append(rest.subarray(0, 100));
    f.append(rest.subarray(100, 200));
    f.append(rest.subarray(200));
    fs.crash("tear");
    const got = fs.readFile("d/log");
    assert.ok(got.length >= 100 && got.length <= 400, `seed ${seed}: ${got.length}`);
    assert.deepEqual(got.subarray(0, 100), first);
    assert.deepEqual(got.subarray(100), rest.subarray(0, got.length - 100), "a prefix survives");
    if (got.length % 100 !== 0) sawTornMiddle = true;
  }
  assert.ok(sawTornMiddle, "some crash tore a write in the middle");
});

test("SimFileSystem: positional overwrites are undone by a crash", async () => {
  const { fs } = createSimWorld(9);
  fs.mkdir("d");
  const f = fs.open("d/x", { create: true });
  f.append(b(1, 2, 3, 4));
  await f.sync();
  await fs.syncDir("d");
  f.write(1, b(9, 9, 9, 9, 9));
  f.truncate(2);
  fs.crash("lose");
  assert.deepEqual(fs.readFile("d/x"), b(1, 2, 3, 4));
  assert.throws(() => f.read(0, 1), IoError, "old handles are invalid after a crash");
});

test("SimFileSystem: directory entries survive a crash only after syncDir", async () => {
  const { fs } = createSimWorld(5);
  fs.mkdir("d");
  const a = fs.open("d/a", { create: true });
  a.append(b(1));
  await a.sync();
  fs.crash("lose");
  assert.equal(fs.stat("d/a"), undefined, "file synced but its directory entry was not");
  const c = fs.open("d/c", { create: true });
  c.append(b(2));
  await c.sync();
  await fs.syncDir("d");
  fs.rename("d/c", "d/CURRENT");
  fs.crash("lose");
  assert.deepEqual(fs.list("d"), ["c"], "the rename was not made durable");
  fs.rename("d/c", "d/CURRENT");
  await fs.syncDir("d");
  fs.crash("lose");
  assert.deepEqual(fs.list("d"), ["CURRENT"]);
  assert.deepEqual(fs.readFile("d/CURRENT"), b(2));
});

test("SimFileSystem: capacity gives NoSpaceError; failSync rejects the next sync", async () => {
  const { fs } = createSimWorld(6, { fs: { capacityBytes: 100 } });
  fs.mkdir("d");
  const f = fs.open("d/x", { create: true });
  f.append(new Uint8Array(100));
  assert.throws(() => f.append(b(1)), NoSpaceError);
  assert.equal(f.size(), 100, "a write with no room at all changes nothing");
  fs.setCapacity(110);
  assert.throws(() => f.append(new Uint8Array(20).fill(7)), NoSpaceError);
  assert.equal(f.size(), 110, "a disk filling up mid-write keeps the part that fit");
  fs.failSync(1);
  await assert.rejects(f.sync(), IoError);
  fs.failSync(1, "no-space");
  await assert.rejects(f.sync(), NoSpaceError);
  await f.sync();
});

test("SimFileSystem: flipByte corrupts stored data; readCorruptionRate corrupts reads only", () => {
  const { fs } = createSimWorld(7, { fs: { readCorruptionRate: 1 } });
  fs.mkdir("d");
  const f = fs.open("d/x", { create: true });
  f.append(new Uint8Array(64));
  const read = f.read(0, 64);
  assert.equal(read.reduce((n, x) => n + (x === 0 ? 0 : 1), 0), 1, "one byte of the read flipped");
  const clean = createSimWorld(7);
  clean.fs.mkdir("d");
  const g = clean.fs.open("d/x", { create: true });
  g.append(new Uint8Array(8));
  clean.fs.flipByte("d/x", 3, 2);
  assert.deepEqual(g.read(0, 8), b(0, 0, 0, 4, 0, 0, 0, 0));
});
