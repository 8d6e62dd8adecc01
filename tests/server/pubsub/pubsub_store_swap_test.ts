/**
 * A node's subscribers outlive its store: when a snapshot from the leader
 * replaces the state machine, the new one still keeps PUBLISH messages and
 * keyspace events for the hub (the engine holder carries the flag over).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeCommand } from "../../../src/kv/command_codec.ts";
import { KvStateMachine } from "../../../src/kv/state_machine.ts";
import { createSimWorld } from "../../../src/platform/sim/sim_world.ts";
import { EngineHolder } from "../../../src/server/node/engine_holder.ts";
import { Db } from "../../../src/storage/db.ts";
import { utf8 } from "../../../src/util/bytes.ts";

const publish = (message: string) =>
  encodeCommand({
    body: {
      case: "redis",
      value: {
        db: 0,
        commands: [{ args: [utf8("PUBLISH"), utf8("ch"), utf8(message)] }],
        multi: false,
        watches: [],
      },
    },
  });

test("pubsub: a store swapped in from a snapshot keeps events while the hub wants them", async () => {
  const world = createSimWorld(7);
  world.fs.mkdir("node");
  const holder = await EngineHolder.open(world.fs, "node", world.clock, 1);
  try {
    holder.kv.redisEventsWanted = true;
    // What a snapshot receiver leaves in kv-incoming: an engine ahead of this one.
    world.fs.mkdir(holder.incomingDir);
    const staged = await Db.open(world.fs, holder.incomingDir, { wal: false });
    const ahead = await KvStateMachine.open(staged);
    await ahead.apply([{ index: 1, data: publish("in the snapshot") }]);
    await staged.close();
    const before = holder.kv;
    assert.equal(await holder.swapIn(), true);
    assert.notEqual(holder.kv, before, "a new state machine");
    assert.equal(holder.kv.redisEventsWanted, true);
    await holder.kv.apply([{ index: 2, data: publish("after the swap") }]);
    const events = holder.kv.drainRedisEvents();
    assert.deepEqual(
      events.map((e) => e.kind === "publish" ? new TextDecoder().decode(e.message) : e.kind),
      ["after the swap"],
    );
  } finally {
    await holder.close();
  }
});
