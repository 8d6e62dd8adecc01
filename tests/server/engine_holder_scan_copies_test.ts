/**
 * A node's engine copies scanned entries the way its runtime prefers (Platform.scanCopies,
 * DbOptions.scanCopies): `slice` hands out an array of its own per copy, `slab` carves copies
 * from shared 8 KiB chunks. The choice is kept for an engine a snapshot swaps in.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { EngineHolder } from "../../src/server/node/engine_holder.ts";
import { encodeCommand } from "../../src/kv/command_codec.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import { Db } from "../../src/storage/db.ts";
import type { ScanCopies } from "../../src/storage/options.ts";
import { utf8 } from "../../src/util/bytes.ts";

/** Whether every scanned key is an array of its own (not a view of a shared chunk). */
async function ownArrays(db: Db): Promise<boolean> {
  let own = true;
  for await (const [key] of db.scan({})) own &&= key.buffer.byteLength === key.byteLength;
  return own;
}

async function fill(db: Db): Promise<void> {
  for (let i = 0; i < 20; i++) await db.put(utf8(`key-${i}`), utf8(`value-${i}`));
}

for (const copies of ["slice", "slab"] as ScanCopies[]) {
  test(`engine holder: scans copy as ${copies}, before and after a swap`, async () => {
    const world = createSimWorld(11);
    world.fs.mkdir("node");
    const holder = await EngineHolder.open(world.fs, "node", world.clock, 1, undefined, {
      scanCopies: copies,
    });
    try {
      await fill(holder.db);
      assert.equal(await ownArrays(holder.db), copies === "slice");
      world.fs.mkdir(holder.incomingDir);
      // What a snapshot receiver leaves in kv-incoming: an engine ahead of this one.
      const staged = await Db.open(world.fs, holder.incomingDir, { wal: false });
      const ahead = await KvStateMachine.open(staged);
      const set = ["SET", "from-snapshot", "1"].map(utf8);
      const redis = { db: 0, commands: [{ args: set }], multi: false, watches: [] };
      await ahead.apply([{
        index: 1,
        data: encodeCommand({ body: { case: "redis", value: redis } }),
      }]);
      await staged.close();
      assert.equal(await holder.swapIn(), true);
      await fill(holder.db);
      assert.equal(await ownArrays(holder.db), copies === "slice");
    } finally {
      await holder.db.close();
    }
  });
}
