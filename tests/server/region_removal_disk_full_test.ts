/**
 * A replica's removal on a full disk (src/server/node/region_removal.ts): taking it off the
 * driver writes a record to the shared log, and a full disk there must not stop the driver (a
 * task between rounds that throws does: simulator seed 520 with merges). The task returns; the
 * attempt is made again from a later turn after a backoff, and the records are cleared once it
 * succeeded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ReplicaRemoval, type ReplicaRemovalDeps } from "../../src/server/node/region_removal.ts";
import type { HostedRegion } from "../../src/server/node/hosted_region.ts";
import { createLogger } from "../../src/server/log/logger.ts";
import { NoSpaceError } from "../../src/util/errors.ts";
import { initialRegion } from "../../src/region/descriptor.ts";

test("replica removal: a full disk as the replica leaves the driver is waited out", async () => {
  const timers: (() => void)[] = [];
  const between: (() => Promise<void>)[] = [];
  const lines: string[] = [];
  let fullDisk = 2; // the first two attempts find the disk full
  const removed: number[] = [];
  const logger = createLogger({ write: (l) => lines.push(l), wallMs: () => 0, nowMs: () => 0 });
  const region = {
    id: 5,
    kv: {
      descriptor: { ...initialRegion([1]), id: 5 },
      merge: undefined,
      kv: { garbage: { stop() {} } },
    },
    proposals: { failAll() {} },
    reads: { abortUnconfirmed() {} },
  } as unknown as HostedRegion;
  let cleared = 0;
  const deps = {
    o: { clock: { setTimeout: (f: () => void) => timers.push(f) }, logger },
    raft: {
      driver: {
        removeRegions: (ids: number[]) => {
          if (fullDisk-- > 0) return Promise.reject(new NoSpaceError("No space left on device"));
          removed.push(...ids);
          return Promise.resolve();
        },
      },
      loop: { between: (task: () => Promise<void>) => between.push(task) },
    },
    engine: () => ({
      flushApplied: () => Promise.resolve(),
      db: { write: () => Promise.resolve() },
    }),
    images: {
      clear: (_id: number, _run: unknown, last: () => Promise<void>) => {
        cleared++;
        return last().then(() => 3);
      },
    },
    forget: (id: number) => id === 5 ? region : undefined,
    closed: () => false,
  };
  const removal = new ReplicaRemoval(deps as unknown as ReplicaRemovalDeps);
  removal.remove(5, "test");
  const turn = async () => {
    const tasks = between.splice(0);
    for (const t of tasks) await t(); // a throw here would have stopped the driver
  };
  await turn();
  assert.deepEqual(removed, [], "the disk is full: not off the driver yet");
  assert.equal(removal.pending, 1);
  assert.ok(lines.some((l) => l.includes("region.replica_remove_deferred")));
  for (let i = 0; i < 2; i++) {
    timers.splice(0).forEach((f) => f());
    await turn();
  }
  assert.deepEqual(removed, [5], "off the driver once the disk has room");
  for (let i = 0; i < 5 && removal.pending > 0; i++) await new Promise((r) => setTimeout(r, 0));
  assert.equal(cleared, 1, "then its records are cleared");
  assert.equal(removal.counts.removed, 1);
  assert.equal(removal.pending, 0);
});
