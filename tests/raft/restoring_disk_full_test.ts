/**
 * An image install that finds the disk full is tried again after a backoff (src/raft/multi/
 * restoring.ts, decision 0005), and any other failure halts the driver as before. A rejoining
 * node whose placement image file met a full disk used to stop for good (regions seed 520).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { EMPTY_CONF_STATE, type Snapshot } from "../../src/raft/core/messages.ts";
import type { Ready } from "../../src/raft/core/ready.ts";
import type { RegionReplica } from "../../src/raft/multi/region_replica.ts";
import { RestoringRegions } from "../../src/raft/multi/restoring.ts";
import { IoError, NoSpaceError } from "../../src/util/errors.ts";
import { DISK_RETRY_MS_MAX } from "../../src/limits.ts";

const SNAPSHOT: Snapshot = {
  metadata: { index: 10, term: 2, confState: EMPTY_CONF_STATE },
  data: new Uint8Array(),
};

/** A region whose first `failures` installs throw `error`. */
function region(failures: number, error: () => Error) {
  const r = { tries: 0 };
  const replica = {
    restore: () => {
      r.tries++;
      return r.tries <= failures ? Promise.reject(error()) : Promise.resolve();
    },
  } as unknown as RegionReplica;
  return { r, replica };
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function held(restoring: RestoringRegions, replica: RegionReplica): Ready {
  const ready = { snapshot: SNAPSHOT } as unknown as Ready;
  restoring.hold(new Map([[7, ready]]), () => replica, () => {});
  return ready;
}

test("restoring: an install that found the disk full is tried again after a backoff", async () => {
  const clock = new SimClock();
  const restoring = new RestoringRegions(clock);
  const { r, replica } = region(3, () => new NoSpaceError("No space left on device"));
  const ready = held(restoring, replica);
  await settle();
  assert.equal(r.tries, 1);
  assert.equal(restoring.collect(new Set(), new Map()).size, 0, "still held, not failed");
  for (let i = 0; i < 4 && r.tries < 4; i++) {
    clock.advance(DISK_RETRY_MS_MAX);
    await settle();
  }
  assert.equal(r.tries, 4, "tried again until the disk had room");
  const back = restoring.collect(new Set(), new Map());
  assert.equal(back.get(7), ready, "the held Ready runs once its image is in");
});

test("restoring: another failure halts the driver; a removed region stops waiting", async () => {
  const clock = new SimClock();
  const broken = new RestoringRegions(clock);
  held(broken, region(1, () => new IoError("EIO")).replica);
  await settle();
  assert.throws(() => broken.collect(new Set(), new Map()), IoError);

  const full = new RestoringRegions(clock);
  const { r, replica } = region(100, () => new NoSpaceError("No space left on device"));
  held(full, replica);
  await settle();
  const forgotten = full.forget(7);
  clock.advance(DISK_RETRY_MS_MAX);
  await forgotten;
  assert.equal(full.size, 0);
  assert.equal(r.tries, 1, "no install after the removal");
  assert.equal(full.collect(new Set(), new Map()).size, 0, "and no failure");
});
