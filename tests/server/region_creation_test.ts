/**
 * Replicas created from a peer's message (src/server/node/region_creation.ts): a message of a
 * region this node does not host makes an uninitialized replica, except when the node's log
 * holds that region already. Then a crash lost the engine batch of the split that made it (the
 * engine runs without its own WAL; the log is durable): its parent replays the split and adds
 * it again with that log. A replica made over that log was handed its committed entries with
 * no state to apply them to, and the node stopped ("entries before its image"). Region 0 (the
 * placement service) never gets one: its snapshots are not region images.
 */
import { RegionImageInstaller } from "../../src/server/node/region_image_install.ts";
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
import { createSimWorld, type SimWorld } from "../../src/platform/sim/sim_world.ts";
import { REGION_UNINITIALIZED_TTL_MS } from "../../src/limits_ops.ts";

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

/**
 * RegionCreation on a fake driver: the regions added are in `onDriver` (and known from then on),
 * tasks between rounds run at once into `pending`, and log events go to `lines`.
 */
function fakeNode(world: SimWorld, log: MultiLogStore) {
  const onDriver = new Set<number>();
  let unknown: (region: number, m: Message) => void = () => {};
  const driver = {
    set onUnknownRegion(f: (region: number, m: Message) => void) {
      unknown = f;
    },
    region: () => undefined,
    regionNode: () => ({ suppressVotes: false }),
    addRegions: (specs: readonly RegionSpec[]) => {
      for (const s of specs) onDriver.add(s.id);
      return Promise.resolve();
    },
    removeRegions: (ids: readonly number[]) => {
      for (const id of ids) onDriver.delete(id);
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
  const creation = new RegionCreation({
    o: { logger, clock: world.clock } as unknown as ResolvedNodeOptions,
    raft,
    engine: () => ({}) as EngineHolder,
    images: new RegionImageInstaller(() => ({}) as EngineHolder, world.clock),
    on: () => true,
    known: (id) => onDriver.has(id),
    adopt: () => {
      throw new Error("no image in this test");
    },
    closed: () => false,
    mergedByImage: () => Promise.reject(new Error("no image in this test")),
  });
  const onUnknown = (region: number, m: Message) => unknown(region, m);
  return { onUnknown, onDriver, pending, lines, creation };
}

test("region creation: no uninitialized replica over a log the node holds", async () => {
  const world = createSimWorld(1);
  world.fs.mkdir("multi");
  const log = await MultiLogStore.open(world.fs, "multi", { preallocateBytes: 0 });
  // Region 7's log survived a crash (a split's child); region 8 is new to this node.
  await log.save(new Map([[7, bootstrapRequest([1, 2, 3])]]));
  const { onUnknown, onDriver, pending, lines } = fakeNode(world, log);
  onUnknown(7, heartbeat(2));
  onUnknown(0, heartbeat(2)); // the placement service's region: never from a message
  onUnknown(8, heartbeat(2));
  await Promise.all(pending);
  assert.deepEqual([...onDriver], [8], "region 7 waits for its parent's replay of the split");
  assert.deepEqual(lines, ["region.replica_created"]);
  await log.close();
  // The replica's log is durable before any image can come (an empty one): at a restart, a
  // region on the engine with that log came by an image and gets no marker at the image's index.
  const reopened = await MultiLogStore.open(world.fs, "multi", { preallocateBytes: 0 });
  assert.deepEqual(reopened.regionIds().sort(), [7, 8]);
  assert.equal(reopened.group(8).lastIndex(), 0);
  assert.equal(reopened.group(8).snapshotMarker.index, 0);
  await reopened.close();
});

test("region creation: a replica no image reaches is removed after REGION_UNINITIALIZED_TTL_MS", async () => {
  const world = createSimWorld(2);
  world.fs.mkdir("multi");
  const log = await MultiLogStore.open(world.fs, "multi", { preallocateBytes: 0 });
  const { onUnknown, onDriver, pending, lines, creation } = fakeNode(world, log);
  // A heartbeat in flight when this node left region 9 makes a replica nothing will fill.
  onUnknown(9, heartbeat(2));
  await Promise.all(pending.splice(0));
  assert.ok(onDriver.has(9) && creation.uninitialized(9) && creation.waiting);
  world.clock.advance(REGION_UNINITIALIZED_TTL_MS - 1);
  await Promise.all(pending.splice(0));
  assert.ok(onDriver.has(9), "kept until the TTL");
  world.clock.advance(1);
  await Promise.all(pending.splice(0));
  assert.ok(!onDriver.has(9), "removed from the driver");
  assert.equal(creation.waiting, false, "splits on this node are no longer held");
  assert.ok(lines.includes("region.replica_dropped"));
  // The leader does want it after all: its next message makes it again.
  onUnknown(9, heartbeat(2));
  await Promise.all(pending.splice(0));
  assert.ok(onDriver.has(9) && creation.uninitialized(9));
  await log.close();
});

test("region creation: a replica its leader still sends to is kept past REGION_UNINITIALIZED_TTL_MS", async () => {
  const world = createSimWorld(3);
  world.fs.mkdir("multi");
  const log = await MultiLogStore.open(world.fs, "multi", { preallocateBytes: 0 });
  const { onUnknown, onDriver, pending, creation } = fakeNode(world, log);
  onUnknown(9, heartbeat(2));
  await Promise.all(pending.splice(0));
  // Its leader's heartbeats go on (its image is still on the way): each one restarts the time.
  for (let i = 0; i < 4; i++) {
    world.clock.advance(REGION_UNINITIALIZED_TTL_MS / 2);
    const batch = { from: 2, to: 1, messages: [{ region: 9, message: heartbeat(2) }] };
    assert.equal(creation.screen(batch), batch, "no image: passed on as it is");
    await Promise.all(pending.splice(0));
  }
  assert.ok(onDriver.has(9) && creation.uninitialized(9), "kept while its leader sends");
  world.clock.advance(REGION_UNINITIALIZED_TTL_MS * 2); // then nothing more comes
  await Promise.all(pending.splice(0));
  assert.ok(!onDriver.has(9), "removed once its leader stopped");
  await log.close();
});
