import { test } from "node:test";
import assert from "node:assert/strict";
import { DISK_RETRY_MS_MAX } from "../../src/limits.ts";
import type { SimWorld } from "../../src/platform/sim/sim_world.ts";
import type { Db } from "../../src/storage/db.ts";
import { NoSpaceError } from "../../src/util/errors.ts";
import { openSim, SMALL, str, world } from "./helpers.ts";

/** Lets background work and the sim clock's zero-delay timers run (bounded). */
async function settle(w: SimWorld, rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    w.clock.advance(0);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** Awaits `p` while running the sim clock's timers (background work yields through them). */
async function pumped<T>(w: SimWorld, p: Promise<T>): Promise<T> {
  let settled = false;
  const watched = p.finally(() => void (settled = true));
  for (let i = 0; i < 1000 && !settled; i++) await settle(w, 1);
  return await watched;
}

function open(w: SimWorld): Promise<Db> {
  return pumped(w, openSim(w, { ...SMALL, wal: false, clock: w.clock, seed: 1 }));
}

const value = (i: number) => `value-${i}-`.padEnd(60, "x");

test("engine: a full disk stalls flushes (no sticky failure); freeing space resumes them", async () => {
  const w = world(1);
  const db = await open(w);
  for (let i = 0; i < 100; i++) await pumped(w, db.put(`k${i}`, value(i)));
  await pumped(w, db.flush());
  w.fs.setCapacity(w.fs.usedBytes() + 300);
  let done = 0;
  const writer = (async () => {
    for (let i = 100; i < 400; i++, done++) await db.put(`k${i}`, value(i));
  })();
  await settle(w);
  assert.ok(db.outOfSpace instanceof NoSpaceError, "the engine reports the full disk");
  assert.ok(done < 300, "writes wait for room instead of failing");
  assert.equal(str(db.get("k7")), value(7), "reads keep working");
  await assert.rejects(db.flush(), NoSpaceError, "an explicit flush fails clearly");
  w.fs.setCapacity(undefined);
  for (let i = 0; i < 10 && done < 300; i++) {
    w.clock.advance(DISK_RETRY_MS_MAX);
    await settle(w);
  }
  await pumped(w, writer);
  assert.equal(db.outOfSpace, undefined);
  await pumped(w, db.flush());
  w.fs.crash("lose");
  const reopened = await open(w);
  for (let i = 0; i < 400; i++) assert.equal(str(reopened.get(`k${i}`)), value(i), `k${i}`);
  await pumped(w, reopened.close());
});

test("engine: a disk that fills and frees at random never corrupts the manifest", async () => {
  for (let seed = 1; seed <= 8; seed++) {
    const w = world(100 + seed);
    const db = await open(w);
    let fullSeen = false;
    for (let round = 0; round < 12; round++) {
      w.fs.setCapacity(w.prng.chance(0.6) ? w.fs.usedBytes() + w.prng.range(0, 3000) : undefined);
      const writes: Promise<void>[] = [];
      for (let j = 0; j < 60; j++) {
        const k = w.prng.range(0, 300);
        writes.push(db.put(`k${k}`, `${value(k)}${round}`));
      }
      await settle(w, 10);
      fullSeen ||= db.outOfSpace !== undefined;
      w.fs.setCapacity(undefined);
      for (let i = 0; i < 10 && db.outOfSpace !== undefined; i++) {
        w.clock.advance(DISK_RETRY_MS_MAX);
        await settle(w, 10);
      }
      await pumped(w, Promise.all(writes));
    }
    assert.ok(fullSeen, `seed ${seed}: the disk filled at least once`);
    const expected = new Map<string, string | undefined>();
    for (let k = 0; k < 300; k++) expected.set(`k${k}`, str(db.get(`k${k}`)));
    await pumped(w, db.flush());
    w.fs.crash("tear");
    const reopened = await open(w);
    for (const [k, v] of expected) assert.equal(str(reopened.get(k)), v, `seed ${seed} ${k}`);
    await pumped(w, reopened.close());
  }
});

test("engine: closing while out of space does not hang; the data flushed before is intact", async () => {
  const w = world(3);
  const db = await open(w);
  for (let i = 0; i < 50; i++) await pumped(w, db.put(`k${i}`, value(i)));
  await pumped(w, db.flush());
  w.fs.setCapacity(w.fs.usedBytes());
  const writer = (async () => {
    for (let i = 50; i < 300; i++) await db.put(`k${i}`, value(i));
  })().then(() => undefined, (err: unknown) => err);
  await settle(w);
  assert.ok(db.outOfSpace !== undefined);
  await pumped(w, db.close());
  assert.match(String(await writer), /closed/, "the stuck writer fails instead of hanging");
  w.fs.setCapacity(undefined);
  const reopened = await open(w);
  for (let i = 0; i < 50; i++) assert.equal(str(reopened.get(`k${i}`)), value(i));
  await pumped(w, reopened.close());
});
