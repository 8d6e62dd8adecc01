/**
 * A merged source's change feed and its split child (src/kv/region_feed_keep.ts): region 3
 * takes a write of "s", splits at "r" into region 4 (which then reads "s"'s change in region
 * 3's feed, through its lineage), and merges into region 2. Dropping region 3's replica must
 * keep that feed while region 4 is here: before, region 4 read "s" as absent at every revision
 * (the simulator's bank with `--region-merge-bytes`, seeds 1, 10 and 32: an account read as
 * absent by a transaction). Once region 4 leaves too, the kept feed goes with it.
 */
import { RegionImageInstaller } from "../../src/server/node/region_image_install.ts";
import { RealClock } from "../../src/platform/real_clock.ts";
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeRegionCommand } from "../../src/kv/region_command.ts";
import type { RegionKv } from "../../src/kv/region_apply.ts";
import { regionKeys } from "../../src/kv/region_keys.ts";
import type { RegionDescriptor } from "../../src/region/descriptor.ts";
import type { EngineHolder } from "../../src/server/node/engine_holder.ts";
import type { HostedRegion } from "../../src/server/node/hosted_region.ts";
import type { ResolvedNodeOptions } from "../../src/server/node/options.ts";
import type { NodeRaft } from "../../src/server/node/region_driver.ts";
import { ReplicaRemoval } from "../../src/server/node/region_removal.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { b, put } from "../kv/kv_helpers.ts";
import { type Logs, MergeNode, run } from "../kv/region_merge_harness.ts";

const voters = [{ nodeId: 1, role: "voter" as const }];

const split = (r: RegionKv, key: string, newRegionId: number) =>
  encodeRegionCommand({
    kind: "split",
    regionId: r.descriptor.id,
    epoch: r.descriptor.epoch,
    splitKey: b(key),
    newRegionId,
    replicas: voters,
  });

const routed = (r: RegionKv, command: Uint8Array) =>
  encodeRegionCommand({
    kind: "routed",
    regionId: r.descriptor.id,
    epoch: r.descriptor.epoch,
    command,
  });

function region(node: MergeNode, id: number): RegionKv {
  const r = node.regions.get(id);
  assert.ok(r !== undefined, `region ${id} is open`);
  return r;
}

/** Regions 1 [, g), 2 [g, p), 3 [p, r), 4 [r, ); "s" written in region 3 before the last split. */
async function fourRegions(node: MergeNode, logs: Logs): Promise<void> {
  await run(node, logs, 1, put("a", "v1-a"));
  assert.equal((await run(node, logs, 1, split(region(node, 1), "g", 2)))?.kind, "split");
  assert.equal((await run(node, logs, 2, split(region(node, 2), "p", 3)))?.kind, "split");
  await run(node, logs, 2, routed(region(node, 2), put("h", "v1-h")));
  await run(node, logs, 3, routed(region(node, 3), put("q", "v1-q")));
  await run(node, logs, 3, routed(region(node, 3), put("s", "v1-s")));
  assert.equal((await run(node, logs, 3, split(region(node, 3), "r", 4)))?.kind, "split");
  await run(node, logs, 4, routed(region(node, 4), put("t", "v1-t")));
}

/** Prepares region `from`'s merge into region `into` and commits it. */
async function merge(node: MergeNode, logs: Logs, from: number, into: number): Promise<void> {
  const source = region(node, from), target = region(node, into);
  const prepare = encodeRegionCommand({
    kind: "prepare-merge",
    regionId: from,
    epoch: source.descriptor.epoch,
    target: target.descriptor,
  });
  assert.equal((await run(node, logs, from, prepare))?.kind, "merge-prepared");
  const fence = source.appliedIndex;
  const commit = encodeRegionCommand({
    kind: "commit-merge",
    regionId: into,
    epoch: target.descriptor.epoch,
    fence,
    source: source.descriptor,
    entries: (logs.get(from) ?? []).filter((e) => e.index <= fence),
  });
  assert.equal((await run(node, logs, into, commit))?.kind, "merged");
}

/** Removes region `id`'s replica from `node` the way a node does (region_removal.ts). */
async function removeReplica(node: MergeNode, id: number): Promise<void> {
  const r = region(node, id);
  const tasks: Promise<void>[] = [];
  const raft = {
    loop: { between: (f: () => Promise<void>) => tasks.push(f()) },
    driver: { removeRegions: () => Promise.resolve() },
  } as unknown as NodeRaft;
  const hosted = {
    id,
    kv: r,
    proposals: { failAll() {} },
    reads: { abortUnconfirmed() {} },
  } as unknown as HostedRegion;
  const engine = {
    db: node.db,
    flushApplied: () => node.db.flush(),
    locked: <T>(f: () => Promise<T>) => f(),
  };
  const removal = new ReplicaRemoval({
    o: { logger: { info() {}, warn() {} } } as unknown as ResolvedNodeOptions,
    raft,
    engine: () => engine as unknown as EngineHolder,
    images: new RegionImageInstaller(() => engine as unknown as EngineHolder, new RealClock()),
    forget: () => hosted,
    closed: () => false,
  });
  removal.remove(id, "test");
  await Promise.all(tasks);
  // The records leave after the loop's task, in steps (region_image_install.ts).
  for (let i = 0; i < 2000 && removal.pending > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.equal(removal.pending, 0, "the replica's records are cleared");
  node.regions.delete(id);
}

async function valueAt(r: RegionKv, key: string, revision: number): Promise<string | undefined> {
  const s = await r.kv.getAt(b(key), revision);
  return s === undefined ? undefined : fromUtf8(s.value);
}

function localRecords(node: MergeNode, id: number): number {
  const keys = regionKeys(id);
  return [...node.db.scanSync({ start: keys.start, end: keys.end })].length;
}

test("merge feed: a child reads its keys' older changes after its merged parent is dropped", async () => {
  const node = await MergeNode.create(11), logs: Logs = new Map();
  await fourRegions(node, logs);
  const child = region(node, 4);
  const d: RegionDescriptor = child.descriptor;
  assert.equal(fromUtf8(d.start), "r");
  const at = child.kv.revision;
  assert.equal(await valueAt(child, "s", at), "v1-s", "before the merge");
  await merge(node, logs, 3, 2);
  assert.equal(region(node, 3).merge?.stage, "merged");
  await removeReplica(node, 3);
  assert.equal(await valueAt(child, "s", at), "v1-s", "read through region 3's kept feed");
  assert.equal(await valueAt(child, "s", child.kv.revision), "v1-s");
  assert.equal(await valueAt(child, "t", child.kv.revision), "v1-t");
  // The merged region 3 is not a region here any more, only a feed.
  await node.db.flush();
  await node.crash();
  assert.equal(node.regions.has(3), false, "a kept feed never opens as a region");
  assert.equal(await valueAt(region(node, 4), "s", at), "v1-s", "and after a restart");
  // Region 2 (the target) reads the absorbed key "q" at the merge as before.
  const target = region(node, 2);
  assert.equal(await valueAt(target, "q", target.kv.revision), "v1-q");
  assert.ok(localRecords(node, 3) > 0);
  // Once region 4 leaves this node, nothing reads region 3's feed: it goes too.
  await removeReplica(node, 4);
  assert.equal(localRecords(node, 3), 0, "the kept feed is gone with the last child");
  assert.equal(localRecords(node, 4), 0);
});

test("merge feed: a merged source no region here descends from is dropped whole", async () => {
  const node = await MergeNode.create(12), logs: Logs = new Map();
  await fourRegions(node, logs);
  // Region 4 merges into region 3 first: region 3's feed is read by nothing else then.
  await merge(node, logs, 4, 3);
  await removeReplica(node, 4);
  assert.equal(localRecords(node, 4), 0);
  await merge(node, logs, 3, 2);
  await removeReplica(node, 3);
  assert.equal(localRecords(node, 3), 0, "no child here: its feed goes with it");
  const merged = region(node, 2);
  for (const [k, v] of [["q", "v1-q"], ["s", "v1-s"], ["t", "v1-t"], ["h", "v1-h"]]) {
    assert.equal(await valueAt(merged, k, merged.kv.revision), v, k);
  }
});
