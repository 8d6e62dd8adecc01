/**
 * Replicas' memtables are sized apart (src/server/node/memtable_stagger.ts): a node's size is drawn
 * from its seed, within a quarter below the default, the same for the same seed, and spread over
 * that range across seeds; the engine holder opens its engine with it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MEMTABLE_BYTES_MAX } from "../../src/limits.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { EngineHolder } from "../../src/server/node/engine_holder.ts";
import {
  MEMTABLE_STAGGER_FRACTION,
  staggeredMemtableBytes,
} from "../../src/server/node/memtable_stagger.ts";

test("memtable stagger: within a quarter below the default, per seed, spread across seeds", () => {
  const low = MEMTABLE_BYTES_MAX * (1 - MEMTABLE_STAGGER_FRACTION);
  const sizes = Array.from({ length: 1000 }, (_, seed) => staggeredMemtableBytes(seed * 7919));
  for (const s of sizes) assert.ok(s >= low && s <= MEMTABLE_BYTES_MAX, `${s}`);
  assert.equal(staggeredMemtableBytes(42), staggeredMemtableBytes(42));
  // Three replicas' seeds rarely land close: most of the range is used, in quarters.
  const span = Math.max(...sizes) - Math.min(...sizes);
  assert.ok(span > (MEMTABLE_BYTES_MAX - low) * 0.95, `span ${span}`);
  const quarters = new Set(sizes.map((s) => Math.min(3, Math.floor((s - low) / (span / 4)))));
  assert.equal(quarters.size, 4);
});

test("memtable stagger: the engine holder's engine takes its node's size", async () => {
  const world = createSimWorld(3);
  world.fs.mkdir("node");
  const holder = await EngineHolder.open(world.fs, "node", world.clock, 1234);
  try {
    assert.equal(holder.memtableBytes, staggeredMemtableBytes(1234));
    assert.ok((holder.memtableBytes ?? 0) < MEMTABLE_BYTES_MAX);
  } finally {
    await holder.db.close();
  }
});
