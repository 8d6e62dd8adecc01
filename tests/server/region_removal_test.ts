/**
 * The removal of a replica this node no longer holds (src/server/node/region_removal.ts), here
 * a merge's source merged away. Its log is removed durably, and the engine runs without its own
 * WAL: the source's `merged` record (written by the target's commit, in the memtable) must be
 * on disk before the log goes. Else a crash right after takes the engine back to before the
 * commit, the source has no log to replay its way to the merge, and it opens alive at an old
 * state over the target's keys (simulator seed 39 with `--region-merge-bytes`: a write applied
 * through the resurrected source, reported failed, read back). A flush that fails leaves the
 * replica as it is.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld, type SimWorld } from "../../src/platform/sim/sim_world.ts";
import type { RegionDescriptor } from "../../src/region/descriptor.ts";
import { descriptorKey, encodeDescriptor } from "../../src/kv/region_descriptor_record.ts";
import {
  encodeMergeState,
  type MergeState,
  mergeStateKey,
  readMergeState,
} from "../../src/kv/region_merge_state.ts";
import { Db } from "../../src/storage/db.ts";
import { dataKey } from "../../src/kv/keyspace.ts";
import type { EngineHolder } from "../../src/server/node/engine_holder.ts";
import type { HostedRegion } from "../../src/server/node/hosted_region.ts";
import type { ResolvedNodeOptions } from "../../src/server/node/options.ts";
import type { NodeRaft } from "../../src/server/node/region_driver.ts";
import { ReplicaRemoval } from "../../src/server/node/region_removal.ts";
import { RegionImageInstaller } from "../../src/server/node/region_image_install.ts";
import { RealClock } from "../../src/platform/real_clock.ts";
import { utf8 } from "../../src/util/bytes.ts";

const replicas = [{ nodeId: 1, role: "voter" as const }];
const target: RegionDescriptor = {
  id: 2,
  start: utf8("a"),
  end: utf8("m"),
  epoch: { version: 3, confVer: 1 },
  replicas,
};
const source: RegionDescriptor = {
  id: 3,
  start: utf8("m"),
  end: utf8("t"),
  epoch: { version: 4, confVer: 1 },
  replicas,
};
const merged: MergeState = { stage: "merged", fence: 40, target };

class Crashed extends Error {}

/** A node's engine holding the commit's batch in its memtable only (never flushed). */
async function engineAfterCommit(world: SimWorld): Promise<Db> {
  world.fs.mkdir("kv");
  const db = await Db.open(world.fs, "kv", { wal: false });
  await db.write([
    { type: "put", key: descriptorKey(3), value: encodeDescriptor(source) },
    { type: "put", key: mergeStateKey(3), value: encodeMergeState(merged) },
  ]);
  return db;
}

/** The removal of region 3 with a driver whose log removal `removeLog` runs. */
function removalOf(
  engine: Pick<EngineHolder, "db" | "flushApplied" | "locked">,
  removeLog: () => Promise<void>,
  seen: { forgotten: number; logRemoved: number; warnings: string[] },
  descriptor: RegionDescriptor = source,
) {
  const tasks: Promise<void>[] = [];
  const raft = {
    loop: { between: (f: () => Promise<void>) => tasks.push(f().catch(() => {})) },
    driver: {
      removeRegions: async () => {
        seen.logRemoved++;
        await removeLog();
      },
    },
  } as unknown as NodeRaft;
  const hosted = {
    id: descriptor.id,
    kv: {
      descriptor,
      merge: descriptor === source ? merged : undefined,
      kv: { garbage: { stop() {} } },
    },
    proposals: { failAll() {} },
    reads: { abortUnconfirmed() {} },
  } as unknown as HostedRegion;
  const logger = { info() {}, warn: (event: string) => seen.warnings.push(event) };
  const removal = new ReplicaRemoval({
    o: { logger } as unknown as ResolvedNodeOptions,
    raft,
    engine: () => engine as EngineHolder,
    images: new RegionImageInstaller(() => engine as EngineHolder, new RealClock()),
    forget: () => {
      seen.forgotten++;
      return hosted;
    },
    closed: () => false,
  });
  return { removal, tasks, images: removal.d.images };
}

test("region removal: a crash right after a merged source's log went keeps it merged", async () => {
  const world = createSimWorld(3);
  const db = await engineAfterCommit(world);
  const engine = {
    db,
    flushApplied: () => db.flush(),
    locked: <T>(run: () => Promise<T>) => run(),
  };
  const seen = { forgotten: 0, logRemoved: 0, warnings: [] as string[] };
  // The node crashes once the log removal is durable: the engine loses its memtable.
  const { removal, tasks } = removalOf(engine, () => {
    world.fs.crash("lose");
    return Promise.reject(new Crashed("crashed after the log removal"));
  }, seen);
  removal.remove(3, "merged away");
  await Promise.all(tasks);
  assert.equal(seen.logRemoved, 1);
  const reopened = await Db.open(world.fs, "kv", { wal: false });
  try {
    // The region opens merged away (and is dropped again), never alive with no log.
    assert.deepEqual(readMergeState(reopened, 3), merged);
    assert.ok(reopened.get(descriptorKey(3)) !== undefined);
  } finally {
    await reopened.close();
  }
});

test("region removal: a flush that fails leaves the replica and its log", async () => {
  const world = createSimWorld(4);
  const db = await engineAfterCommit(world);
  const engine = {
    db,
    flushApplied: () => Promise.reject(new Error("no space left on device")),
    locked: <T>(run: () => Promise<T>) => run(),
  };
  const seen = { forgotten: 0, logRemoved: 0, warnings: [] as string[] };
  const { removal, tasks } = removalOf(engine, () => Promise.resolve(), seen);
  removal.remove(3, "merged away");
  await Promise.all(tasks);
  assert.deepEqual(seen, {
    forgotten: 0,
    logRemoved: 0,
    warnings: ["region.replica_remove_deferred"],
  });
  assert.equal(removal.pending, 0, "asked again by the next check");
  await db.close();
});

test("region removal: the records leave in steps after the loop's task returned", async () => {
  const world = createSimWorld(5);
  const db = await engineAfterCommit(world);
  const live = { ...source, id: 4 };
  const keys = Array.from(
    { length: 3000 },
    (_, i) => dataKey(utf8(`m${String(i).padStart(5, "0")}`)),
  );
  await db.write(keys.map((key) => ({ type: "put" as const, key, value: utf8("v") })));
  await db.write([{ type: "put", key: descriptorKey(4), value: encodeDescriptor(live) }]);
  let tail: Promise<unknown> = Promise.resolve();
  const engine = {
    db,
    flushApplied: () => db.flush(),
    locked: <T>(run: () => Promise<T>) => {
      const done = tail.then(run);
      tail = done.catch(() => {});
      return done;
    },
  };
  const seen = { forgotten: 0, logRemoved: 0, warnings: [] as string[] };
  const { removal, tasks, images } = removalOf(engine, () => Promise.resolve(), seen, live);
  removal.remove(4, "moved off");
  await Promise.all(tasks); // the loop's part: off the driver
  assert.equal(seen.logRemoved, 1);
  assert.equal(removal.pending, 1, "still clearing");
  assert.equal(images.installing(4), true);
  assert.ok(db.get(descriptorKey(4)) !== undefined, "the descriptor goes last");
  for (let i = 0; i < 1000 && removal.pending > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.equal(removal.pending, 0);
  assert.equal(images.installing(4), false);
  assert.equal(db.get(descriptorKey(4)), undefined);
  assert.equal(keys.filter((k) => db.get(k) !== undefined).length, 0);
  assert.equal(images.counts.cleared, 1);
  assert.deepEqual(seen.warnings, []);
  await db.close();
});
