/**
 * The merge check with merge off (src/server/node/region_merge_check.ts): no check repeats, but
 * a replica whose record says its region merged away — the target's commit applied here, the
 * node stopped before the removal — is dropped when the node starts, and only that one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { createLogger } from "../../src/server/log/logger.ts";
import type { HostedRegion } from "../../src/server/node/hosted_region.ts";
import { MergeCheck, type MergeCheckDeps } from "../../src/server/node/region_merge_check.ts";

/** What the check reads of a hosted region here: its id and merge record. */
function region(id: number, stage?: "prepared" | "merged"): HostedRegion {
  return {
    id,
    kv: { merge: stage === undefined ? undefined : { stage } },
  } as unknown as HostedRegion;
}

test("merge check: with merge off, a region merged away before a restart is dropped at start", () => {
  const world = createSimWorld(3, { trace: false });
  const removed: number[] = [];
  const regions = [region(2), region(3, "merged"), region(4, "prepared")];
  const unused = () => {
    throw new Error("not with merge off");
  };
  const deps = {
    regions: () => regions,
    region: (id: number) => regions.find((r) => r.id === id),
    db: unused,
    raft: undefined,
    selfId: 1,
    transferLeader: unused,
    retryHeld: () => Promise.resolve(),
    removeMerged: (id: number) => removed.push(id),
    clock: world.clock,
    logger: createLogger({ write: () => {}, wallMs: () => 0, nowMs: () => 0 }),
    mergeBytes: 0,
    intervalMs: 40,
  } as unknown as MergeCheckDeps;
  const check = new MergeCheck(deps);
  check.start();
  assert.deepEqual(removed, [3]);
  world.clock.advance(1000); // nothing repeats with merge off
  assert.deepEqual(removed, [3]);
  check.stop();
});
