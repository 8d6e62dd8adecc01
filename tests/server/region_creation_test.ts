/**
 * Replicas created from a peer's message (src/server/node/region_creation.ts): a message of a
 * region this node does not host makes an uninitialized replica, except when the node's log
 * holds that region already. Then a crash lost the engine batch of the split that made it (the
 * engine runs without its own WAL; the log is durable): its parent replays the split and adds
 * it again with that log. A replica made over that log was handed its committed entries with
 * no state to apply them to, and the node stopped ("entries before its image"). Region 0 (the
 * placement service) never gets one: its snapshots are not region images.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type Message, MessageType } from "../../src/raft/core/messages.ts";
import type { RegionSpec } from "../../src/raft/multi/driver.ts";
import { bootstrapRequest } from "../../src/raft/multi/round_io.ts";
import { MultiLogStore } from "../../src/raft/multi_log_store.ts";
import type { ResolvedNodeOptions } from "../../src/server/node/options.ts";
import { RegionCreation } from "../../src/server/node/region_creation.ts";
import type { NodeRaft } from "../../src/server/node/region_driver.ts";
import type { EngineHolder } from "../../src/server/node/engine_holder.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";

function heartbeat(from: number): Message {
  return {
    type: MessageType.Heartbeat,
    from,
    to: 1,
    term: 3,
    commit: 5,
    context: new Uint8Array(),
    sentTick: 0,
  };
}

test("region creation: no uninitialized replica over a log the node holds", async () => {
  const world = createSimWorld(1);
  world.fs.mkdir("multi");
  const log = await MultiLogStore.open(world.fs, "multi", { preallocateBytes: 0 });
  // Region 7's log survived a crash (a split's child); region 8 is new to this node.
  await log.save(new Map([[7, bootstrapRequest([1, 2, 3])]]));
  const added: number[] = [];
  let onUnknown: (region: number, m: Message) => void = () => {};
  const driver = {
    set onUnknownRegion(f: (region: number, m: Message) => void) {
      onUnknown = f;
    },
    region: () => undefined,
    regionNode: () => ({ suppressVotes: false }),
    addRegions: (specs: readonly RegionSpec[]) => {
      added.push(...specs.map((s) => s.id));
      return Promise.resolve();
    },
  };
  const pending: Promise<void>[] = [];
  const raft = {
    driver,
    n: { log },
    loop: { between: (f: () => Promise<void>) => pending.push(f()) },
  } as unknown as NodeRaft;
  const lines: string[] = [];
  const logger = { info: (event: string) => lines.push(event) };
  new RegionCreation({
    o: { logger, clock: world.clock } as unknown as ResolvedNodeOptions,
    raft,
    engine: () => ({}) as EngineHolder,
    on: () => true,
    known: () => false,
    adopt: () => {
      throw new Error("no image in this test");
    },
    mergedByImage: () => Promise.reject(new Error("no image in this test")),
    closed: () => false,
  });
  onUnknown(7, heartbeat(2));
  onUnknown(0, heartbeat(2)); // the placement service's region: never from a message
  onUnknown(8, heartbeat(2));
  await Promise.all(pending);
  assert.deepEqual(added, [8], "region 7 waits for its parent's replay of the split");
  assert.deepEqual(lines, ["region.replica_created"]);
  await log.close();
});
