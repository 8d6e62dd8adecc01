/**
 * EngineHolder.flushApplied: the regions of one log compaction ask for a flush together, and
 * callers whose flush has not started share it (one memtable rotation, one table), while a
 * caller after the rotation began gets a flush of its own that covers its writes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { EngineHolder } from "../../src/server/node/engine_holder.ts";
import { utf8 } from "../../src/util/bytes.ts";

test("engine holder: flushes asked in one turn share one rotation; a later one covers its writes", async () => {
  const world = createSimWorld(5);
  world.fs.mkdir("node");
  const holder = await EngineHolder.open(world.fs, "node", world.clock, 1);
  try {
    const db = holder.db;
    for (let i = 0; i < 50; i++) await db.put(utf8(`a-${i}`), utf8(`value-${i}`));
    const before = db.stats().flushes;
    // As RegionCompaction asks for each region of a compaction, in one turn.
    const asked = [holder.flushApplied(), holder.flushApplied(), holder.flushApplied()];
    assert.equal(asked[1], asked[0], "the second caller shares the queued flush");
    assert.equal(asked[2], asked[0]);
    await Promise.all(asked);
    assert.equal(db.stats().flushes, before + 1, "one memtable flushed, not three");
    assert.equal(db.stats().memtableEntries, 0, "everything applied before is in a table");

    await db.put(utf8("b"), utf8("after"));
    const later = holder.flushApplied();
    assert.notEqual(later, asked[0], "after the rotation a new flush is queued");
    await later;
    assert.equal(db.stats().flushes, before + 2);
    assert.equal(db.stats().memtableEntries, 0, "the later write is flushed too");
  } finally {
    await holder.close();
  }
});
