/**
 * A merge's target whose source replica on this node lost its log (region_apply_pass.ts): the
 * source is as the split made it (a wipe, then a replay of the split), not prepared, and neither
 * the commit's entries nor this node's log bring it to the fence, so the target's commit waits
 * for ever. Once it has waited SOURCE_LOST_WAIT_MS (and does not lead) the target is handed to
 * `onSourceLost`, which drops the replica so that the leader sends an image past the commit. A
 * source not added yet, or prepared, is waited for; so is any source while the target leads.
 * (Simulator seeds 203 and 219 with merges: the target stayed held to the end, "replicas
 * differ".)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type Entry, EntryType } from "../../src/raft/core/messages.ts";
import { type ApplyPassHost, RegionApplyPass } from "../../src/server/node/region_apply_pass.ts";
import type { HostedRegion } from "../../src/server/node/hosted_region.ts";
import { PassAnswers } from "../../src/server/node/pass_answers.ts";
import { createLogger } from "../../src/server/log/logger.ts";
import { put } from "../kv/kv_helpers.ts";
import {
  ConfChangeTransition,
  ConfChangeType,
  encodeConfChange,
} from "../../src/raft/core/confchange/conf_change.ts";
import { encodeRegionCommand } from "../../src/kv/region_command.ts";
import { applyRegionEntries } from "../../src/server/node/region_membership.ts";
import {
  commitCommand,
  type Logs,
  MergeNode,
  prepareCommand,
  regionOf,
  run,
  splitCommand,
} from "../kv/region_merge_harness.ts";

const region = regionOf;

/** A node's region as the pass sees it: `leads` says whether this node leads it. */
function hosted(node: MergeNode, id: number, leads: () => boolean): HostedRegion {
  return {
    id,
    get kv() {
      return region(node, id);
    },
    group: { rawNode: { isLeader: leads() } } as unknown as HostedRegion["group"],
    proposals: { applied: () => {} } as unknown as HostedRegion["proposals"],
    reads: { applied: () => {} } as unknown as HostedRegion["reads"],
    appliedBytes: () => 0,
  };
}

/** The host a node's apply pass runs on, over `node`'s regions; `leads`: it leads each. */
function passHost(node: MergeNode, leads = false) {
  let now = 1_000;
  const dropped: number[] = [];
  const logger = createLogger({ write: () => {}, wallMs: () => now, nowMs: () => now });
  const host: ApplyPassHost = {
    d: {
      first: hosted(node, 1, () => false),
      o: { clock: { nowMs: () => now }, logger },
      onRedisEvents: () => {},
      images: { installing: () => false },
      raft: { answers: new PassAnswers() },
    } as unknown as ApplyPassHost["d"],
    region: (id) => node.regions.has(id) ? hosted(node, id, () => leads) : undefined,
    onEvents: () => {},
    generation: 0,
    onChanged: () => {},
    onMergedAway: () => {},
    onSourceLost: (id) => dropped.push(id),
  };
  return { host, dropped, advance: (ms: number) => now += ms };
}

/**
 * Node A splits [, g) [g, p) [p, ); node B applies the splits only (its region 3 as the split made
 * it, with no log of its own). Returns the logs.
 */
async function threeRegions(a: MergeNode, b: MergeNode): Promise<Logs> {
  const logs: Logs = new Map();
  for (const k of ["a", "h", "q", "r"]) await run(a, logs, 1, put(k, `v-${k}`));
  assert.equal(
    (await run(a, logs, 1, splitCommand(region(a, 1).descriptor, "g", 2)))?.kind,
    "split",
  );
  assert.equal(
    (await run(a, logs, 2, splitCommand(region(a, 2).descriptor, "p", 3)))?.kind,
    "split",
  );
  for (const id of [1, 2]) assert.ok(await b.catchUp(logs, id));
  return logs;
}

/**
 * Node A splits [, g) [g, p) [p, ) and merges region 3 into 2, its commit carrying nothing (A's
 * log of region 3 compacted). Node B applied the splits only: its region 3 is as the split made
 * it, with no log of its own. Returns B's pass over region 2's entries from the commit on, the
 * regions dropped, and a clock to move.
 */
async function setUp(seed: number, o: { leads?: boolean } = {}) {
  const a = await MergeNode.create(seed), b = await MergeNode.create(seed + 1);
  const logs = await threeRegions(a, b);
  const target = region(a, 2).descriptor;
  const prepare = prepareCommand(region(a, 3).descriptor, target);
  assert.equal((await run(a, logs, 3, prepare))?.kind, "merge-prepared");
  const fence = region(a, 3).appliedIndex;
  const commit = commitCommand(target, region(a, 3).descriptor, fence); // carrying nothing
  assert.equal((await run(a, logs, 2, commit))?.kind, "merged");
  const { host, dropped, advance } = passHost(b, o.leads === true);
  const pass = new RegionApplyPass(host);
  const from = region(b, 2).appliedIndex + 1;
  const entries: Entry[] = (logs.get(2) ?? []).filter((e) => e.index >= from).map((e) => ({
    index: e.index,
    term: 1,
    type: EntryType.Normal,
    data: e.data ?? new Uint8Array(0),
  }));
  return { b, pass, dropped, entries, advance, target: host };
}

test("source lost: a target held on a source that lost its log is dropped after a while", async () => {
  const { b, pass, dropped, entries, advance, target } = await setUp(31);
  const two = target.region(2);
  assert.ok(two !== undefined);
  await pass.apply(two, entries);
  assert.equal(pass.holding, 1, "the commit waits for its source");
  assert.equal(region(b, 3).merge, undefined, "the source here is not prepared");
  await pass.retry();
  assert.deepEqual(dropped, [], "not at once: an image of the source could still come");
  advance(2_000);
  await pass.retry();
  assert.deepEqual(dropped, [2], "the target is dropped: its leader sends an image");
  assert.equal(pass.holding, 0);
});

test("source lost: a target that leads, or whose source is not added yet, waits", async () => {
  const led = await setUp(41, { leads: true });
  const two = led.target.region(2);
  assert.ok(two !== undefined);
  await led.pass.apply(two, led.entries);
  led.advance(10_000);
  await led.pass.retry();
  assert.deepEqual(led.dropped, [], "a leader is not dropped");
  assert.equal(led.pass.holding, 1);

  const missing = await setUp(51);
  missing.b.regions.delete(3); // a split's child not added yet
  const target = missing.target.region(2);
  assert.ok(target !== undefined);
  await missing.pass.apply(target, missing.entries);
  missing.advance(10_000);
  await missing.pass.retry();
  assert.deepEqual(missing.dropped, [], "a source not added yet is waited for");
  assert.equal(missing.pass.holding, 1);
});

test("source lost: a conf change refused before a commit that waits stays refused for the driver", async () => {
  // Sim seed 644 with merges: a re-made replica of region 2 replayed its log in one batch — its
  // own prepare, a member's removal (here an addition) refused as prepared, the rollback, then a
  // commit whose source lagged. The commit's throw lost the refusal, so the driver took the
  // change into Raft's configuration while the descriptor kept the member: the leader stopped
  // sending to it.
  const a = await MergeNode.create(61), b = await MergeNode.create(62);
  const logs = await threeRegions(a, b);
  const from = region(b, 2).appliedIndex + 1;
  // Region 2 prepares into region 1, refuses a membership change, rolls back.
  const into1 = prepareCommand(region(a, 2).descriptor, region(a, 1).descriptor);
  assert.equal((await run(a, logs, 2, into1))?.kind, "merge-prepared");
  const fence2 = region(a, 2).appliedIndex;
  const change = encodeConfChange({
    transition: ConfChangeTransition.Auto,
    changes: [{ type: ConfChangeType.AddLearner, nodeId: 2 }],
  });
  const confIndex = fence2 + 1;
  const onA = await applyRegionEntries({ id: 2, kv: region(a, 2) }, [
    { index: confIndex, term: 1, type: EntryType.ConfChange, data: change },
  ], {});
  assert.deepEqual(onA.refused, [confIndex]);
  (logs.get(2) ?? []).push({ index: confIndex, data: null, confChange: change });
  const back = encodeRegionCommand({
    kind: "rollback-merge",
    regionId: 2,
    epoch: region(a, 2).descriptor.epoch,
    fence: fence2,
  });
  assert.equal((await run(a, logs, 2, back))?.kind, "merge-rolled-back");
  // Region 3 merges into region 2, its commit carrying nothing (B's region 3 has no log).
  const target = region(a, 2).descriptor;
  assert.equal(
    (await run(a, logs, 3, prepareCommand(region(a, 3).descriptor, target)))?.kind,
    "merge-prepared",
  );
  const fence = region(a, 3).appliedIndex;
  assert.equal(
    (await run(a, logs, 2, commitCommand(target, region(a, 3).descriptor, fence)))?.kind,
    "merged",
  );
  // B applies region 2's entries from the prepare on in one batch, through the node's pass.
  const pass = new RegionApplyPass(passHost(b).host);
  const entries: Entry[] = (logs.get(2) ?? []).filter((e) => e.index >= from).map((e) => ({
    index: e.index,
    term: 1,
    type: e.confChange === undefined ? EntryType.Normal : EntryType.ConfChange,
    data: e.confChange ?? e.data ?? new Uint8Array(0),
  }));
  await pass.apply(hosted(b, 2, () => false), entries);
  assert.equal(pass.holding, 1, "the commit waits for its source");
  assert.equal(pass.refusedConfChange(2, confIndex), true, "the driver leaves the configuration");
  assert.deepEqual(region(b, 2).descriptor.replicas.map((x) => x.nodeId), [1]);
});
