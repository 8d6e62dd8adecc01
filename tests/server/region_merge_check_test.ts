/**
 * The merge check with merge off (src/server/node/region_merge_check.ts): no check repeats, but
 * a replica whose record says its region merged away — the target's commit applied here, the
 * node stopped before the removal — is dropped when the node starts, and only that one; a
 * prepared source whose target's replica here records having absorbed it (merged_sources.ts) is
 * marked merged and dropped. With merge on, a region merged away is dropped at start as well, and
 * neither campaigns nor votes until then.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { createLogger } from "../../src/server/log/logger.ts";
import type { HostedRegion } from "../../src/server/node/hosted_region.ts";
import { MergeCheck, type MergeCheckDeps } from "../../src/server/node/region_merge_check.ts";
import { mergedSourceKey } from "../../src/kv/merged_sources.ts";
import { equalBytes } from "../../src/util/bytes.ts";

/** What the check reads of a hosted region here: its id and merge record (target region 2). */
function region(id: number, stage?: "prepared" | "merged"): HostedRegion {
  return {
    id,
    kv: { merge: stage === undefined ? undefined : { stage, target: { id: 2 } } },
    group: { suppressVotes: false },
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
    // The prepared one's target records no merge of it: it stays (merged_sources.ts).
    db: () => ({ get: () => undefined }),
    raft: undefined,
    selfId: 1,
    transferLeader: unused,
    retryHeld: () => Promise.resolve(),
    removeMerged: (id: number) => removed.push(id),
    markMerged: unused,
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

test("merge check: with merge on, a region merged away is dropped at start and never leads", () => {
  // A crash that cut its removal brings it back on the driver: until its removal runs it must
  // neither campaign nor vote (its group, back at the engine's index, elected a leader that sent
  // images of the merged source; simulator seed 40: a replica still prepared took one, then
  // refused its target's commit, and its target went on without the merge).
  const world = createSimWorld(5, { trace: false });
  const removed: number[] = [];
  const regions = [region(2), region(3, "merged"), region(4, "prepared")];
  const deps = {
    regions: () => regions,
    region: (id: number) => regions.find((r) => r.id === id),
    db: () => ({ get: () => undefined }),
    raft: undefined,
    selfId: 1,
    transferLeader: () => {},
    retryHeld: () => Promise.resolve(),
    removeMerged: (id: number) => removed.push(id),
    markMerged: () => {},
    clock: world.clock,
    logger: createLogger({ write: () => {}, wallMs: () => 0, nowMs: () => 0 }),
    mergeBytes: 1024,
    intervalMs: 1000,
  } as unknown as MergeCheckDeps;
  const check = new MergeCheck(deps);
  check.start();
  assert.deepEqual(removed, [3], "at start, not at the first check");
  assert.deepEqual(regions.map((r) => r.group.suppressVotes), [false, true, false]);
  check.stop();
});

test("merge check: a prepared source its target's replica records as absorbed is marked merged", () => {
  const world = createSimWorld(4, { trace: false });
  const marked: number[] = [];
  // Region 2 (the target) absorbed 4 by its records here; 5, prepared too, it did not.
  const regions = [region(2), region(4, "prepared"), region(5, "prepared")];
  const fence = new Uint8Array(8).fill(0);
  fence[7] = 9;
  const deps = {
    regions: () => regions,
    region: (id: number) => regions.find((r) => r.id === id),
    db: () => ({
      get: (k: Uint8Array) => equalBytes(k, mergedSourceKey(2, 4)) ? fence : undefined,
    }),
    raft: undefined,
    selfId: 1,
    transferLeader: () => {},
    retryHeld: () => Promise.resolve(),
    removeMerged: () => {},
    markMerged: (r: HostedRegion) => marked.push(r.id),
    clock: world.clock,
    logger: createLogger({ write: () => {}, wallMs: () => 0, nowMs: () => 0 }),
    mergeBytes: 0,
    intervalMs: 40,
  } as unknown as MergeCheckDeps;
  new MergeCheck(deps).start();
  assert.deepEqual(marked, [4]);
});
