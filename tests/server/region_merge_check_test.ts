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

test("merge check: a pair too big to merge is scanned again only when it may have shrunk", () => {
  const world = createSimWorld(5, { trace: false });
  const scanned: string[] = [];
  const kv = (id: number, start: string, end: string, applied: number, keys: number) => ({
    descriptor: {
      id,
      start: new TextEncoder().encode(start),
      end: new TextEncoder().encode(end),
      epoch: { version: 2, confVer: 1 },
      replicas: [{ nodeId: 1, role: "voter" }],
    },
    merge: undefined,
    appliedIndex: applied,
    kv: { keyCount: keys },
  });
  const leading = (id: number, r: ReturnType<typeof kv>) =>
    ({ id, kv: r, group: { rawNode: { isLeader: true } } }) as unknown as HostedRegion;
  const left = kv(2, "a", "m", 10, 50), right = kv(3, "m", "z", 10, 50);
  const regions = [leading(2, left), leading(3, right)];
  const deps = {
    regions: () => regions,
    region: (id: number) => regions.find((r) => r.id === id),
    db: () => ({
      get: () => undefined, // no merged-source records (merged_sources.ts)
      liveBytes(start: Uint8Array, _end: Uint8Array, limit: number) {
        scanned.push(new TextDecoder().decode(start.subarray(1)));
        let n = 0;
        for (let i = 0; i < 50 && n <= limit; i++) n += 108; // 8-byte keys, 100-byte values
        return n;
      },
    }),
    selfId: 1,
    retryHeld: () => Promise.resolve(),
    clock: world.clock,
    logger: createLogger({ write: () => {}, wallMs: () => 0, nowMs: () => 0 }),
    mergeBytes: 1000, // each region holds 5,400 bytes
    intervalMs: 40,
  } as unknown as MergeCheckDeps;
  const check = new MergeCheck(deps);
  check.check();
  assert.deepEqual(scanned, ["a"], "the left region is too big: the pair is not merge-bound");
  left.appliedIndex = 20; // more writes, more keys: still too big, not counted again
  left.kv.keyCount = 60;
  for (let i = 0; i < 5; i++) check.check();
  assert.deepEqual(scanned, ["a"]);
  left.appliedIndex = 30; // deletes: fewer keys than when counted, so it may have shrunk
  left.kv.keyCount = 40;
  check.check();
  assert.deepEqual(scanned, ["a", "a"]);
});
