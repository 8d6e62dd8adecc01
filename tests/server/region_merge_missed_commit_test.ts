/**
 * A source replica that never applies its merge's commit (docs/regions.md "Merge", "A source
 * replica that missed the commit"; src/kv/merged_sources.ts, region_apply_pass.ts
 * `mergedByImage`). Two engines share the regions' logs: node A applies everything; node B
 * applies the source's prepare and then, instead of the target's commit, installs an image of
 * the target that A took after the target split again — so the image does not reach the
 * source's range. B's source must be found merged (the target's records name it), and only when
 * the merge committed: a target that split instead, with the source rolled back, leaves it. And a
 * node whose replica of the target was removed takes the merged target's image over its prepared
 * source (region seed 89: it refused it for ever, "image_overlaps"), and a source merged away
 * whose removal a crash cut yields to any image (region seed 56: the import threw, the node
 * stopped), and so does a source re-made by a replayed split, never prepared here, once an image
 * of its target records it absorbed (region seed 43: refused for ever).
 *
 * The simulator found it (region seed 2 with `--region-merge-bytes 1024`): node 3's region 3
 * stayed prepared for ever, its group gone, and refused the images of the target's children
 * that overlapped it, so their keys stayed stale there ("replicas differ").
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeRegionCommand } from "../../src/kv/region_command.ts";
import { readMergeState } from "../../src/kv/region_merge_state.ts";
import {
  mergedSourceKey,
  readMergedSource,
  readMergedSourceRecord,
  recordMergedSource,
} from "../../src/kv/merged_sources.ts";
import { MERGED_SOURCES_KEPT } from "../../src/limits_ops.ts";
import type { RegionDescriptor } from "../../src/region/descriptor.ts";
import { overlaps } from "../../src/region/descriptor.ts";
import { mergedByImage } from "../../src/server/node/region_apply_pass.ts";
import {
  imageHead,
  installRegionImage,
  regionImageSource,
} from "../../src/server/node/region_snapshots.ts";
import {
  mayInstallImage,
  mayReplaceImage,
  yieldingAbsorbed,
} from "../../src/server/node/region_image_screen.ts";
import { descriptorKey } from "../../src/kv/region_descriptor_record.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import { put } from "../kv/kv_helpers.ts";
import {
  commitCommand,
  type Logs,
  logUpTo,
  MergeNode,
  prepareCommand,
  regionOf,
  run,
  splitCommand,
} from "../kv/region_merge_harness.ts";

const split = splitCommand, prepare = prepareCommand, region = regionOf;
const commit = (target: RegionDescriptor, source: RegionDescriptor, fence: number, logs: Logs) =>
  commitCommand(target, source, fence, logUpTo(logs, source.id, fence));

/**
 * Regions 1 [, g), 2 [g, p), 3 [p, ) on A; 3 prepared into 2 on A and B (B applied every log
 * up to there). Returns the prepare's index (the fence).
 */
async function prepared(a: MergeNode, b: MergeNode, logs: Logs): Promise<number> {
  for (const k of ["a", "h", "k", "q", "r"]) await run(a, logs, 1, put(k, `v1-${k}`));
  assert.equal((await run(a, logs, 1, split(region(a, 1).descriptor, "g", 2)))?.kind, "split");
  assert.equal((await run(a, logs, 2, split(region(a, 2).descriptor, "p", 3)))?.kind, "split");
  const source = region(a, 3).descriptor, target = region(a, 2).descriptor;
  assert.equal((await run(a, logs, 3, prepare(source, target)))?.kind, "merge-prepared");
  await b.replay(logs);
  assert.equal(region(b, 3).merge?.stage, "prepared");
  return region(a, 3).appliedIndex;
}

/** A's current image of region `id`, as its leader's node streams it. */
async function imageOf(a: MergeNode, id: number): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  const source = regionImageSource(() => a.db, id, () => region(a, id).descriptor);
  for await (const piece of source()) pieces.push(piece);
  return concatBytes(pieces);
}

/** Installs A's current image of region 2 on B, as a node's host does, and runs the check. */
async function imageOfTarget(a: MergeNode, b: MergeNode): Promise<number[]> {
  await installRegionImage(b.db, 2, await imageOf(a, 2));
  b.regions.delete(2);
  await b.openRegions();
  const target = region(b, 2).descriptor;
  assert.ok(!overlaps(region(b, 3).descriptor, target), "the image does not reach the source");
  const hosted = [...b.regions].map(([id, kv]) => ({ id, kv }));
  const dropped: number[] = [];
  await mergedByImage(b.db, target, hosted, (id) => dropped.push(id));
  return dropped;
}

test("merge missed: an image of the target split after the commit drops the prepared source", async () => {
  const a = await MergeNode.create(1), b = await MergeNode.create(2), logs: Logs = new Map();
  const fence = await prepared(a, b, logs);
  const target = region(a, 2).descriptor, source = region(a, 3).descriptor;
  assert.equal((await run(a, logs, 2, commit(target, source, fence, logs)))?.kind, "merged");
  assert.equal(readMergedSource(a.db, 2, 3), fence, "the target records the source it took");
  // The merged region [g, ) splits at "h": region 2 is [g, h), region 4 [h, ) holds 3's range.
  assert.equal((await run(a, logs, 2, split(region(a, 2).descriptor, "h", 4)))?.kind, "split");
  const dropped = await imageOfTarget(a, b);
  assert.deepEqual(dropped, [3], "the source is merged away, its group gone");
  assert.equal(readMergeState(b.db, 3)?.stage, "merged", "on the engine before its removal");
  assert.equal(region(b, 3).merge?.stage, "merged");
  assert.equal(readMergedSource(b.db, 2, 3), fence, "the record came with the image");
});

test("merge missed: a target that split instead (the source rolled back) leaves the source", async () => {
  const a = await MergeNode.create(3), b = await MergeNode.create(4), logs: Logs = new Map();
  const fence = await prepared(a, b, logs);
  // The target moves before any commit: no commit can apply, the source's leader rolls back.
  assert.equal((await run(a, logs, 2, split(region(a, 2).descriptor, "h", 4)))?.kind, "split");
  const rollback = encodeRegionCommand({
    kind: "rollback-merge",
    regionId: 3,
    epoch: region(a, 3).descriptor.epoch,
    fence,
  });
  assert.equal((await run(a, logs, 3, rollback))?.kind, "merge-rolled-back");
  assert.deepEqual(await imageOfTarget(a, b), [], "a target that moved proves nothing");
  assert.equal(readMergeState(b.db, 3)?.stage, "prepared");
  await b.catchUp(logs, 3);
  assert.equal(region(b, 3).merge, undefined, "its own log rolls it back: it serves again");
});

test("merge missed: a region keeps the newest MERGED_SOURCES_KEPT source ids it absorbed", async () => {
  const a = await MergeNode.create(5);
  const first = 10, last = first + MERGED_SOURCES_KEPT; // one more than kept
  for (let id = first; id <= last; id++) {
    await a.db.write(recordMergedSource(a.db, 2, id, 100 + id));
  }
  assert.equal(readMergedSource(a.db, 2, first), undefined, "the lowest id went");
  for (let id = first + 1; id <= last; id++) assert.equal(readMergedSource(a.db, 2, id), 100 + id);
  assert.equal(readMergedSource(a.db, 3, last), undefined, "another region's are its own");
});

test("merge missed: a node that lost its target replica takes the merged target's image", async () => {
  const a = await MergeNode.create(6), b = await MergeNode.create(7), logs: Logs = new Map();
  const fence = await prepared(a, b, logs);
  // B's replica of region 2 was removed (its descriptor goes last); a peer's message makes an
  // uninitialized one, whose image comes from A after the commit: it covers B's region 3.
  await b.db.write([{ type: "del", key: descriptorKey(2) }]);
  const target = region(a, 2).descriptor, source = region(a, 3).descriptor;
  assert.equal((await run(a, logs, 2, commit(target, source, fence, logs)))?.kind, "merged");
  const { descriptor } = await imageHead(2, await imageOf(a, 2));
  assert.ok(overlaps(descriptor, region(b, 3).descriptor));
  assert.deepEqual(mayInstallImage(b.db, descriptor), { ok: true }, "its prepared source yields");
  // Any other region over the source's range is refused: B catches up first.
  assert.deepEqual(mayInstallImage(b.db, { ...descriptor, id: 9 }), { ok: false, overlaps: 3 });
  await installRegionImage(b.db, 2, await imageOf(a, 2));
  const hosted = [...b.regions].filter(([id]) => id !== 2).map(([id, kv]) => ({ id, kv }));
  const dropped: number[] = [];
  await mergedByImage(b.db, descriptor, hosted, (id) => dropped.push(id));
  assert.deepEqual(dropped, [3]);
});

test("merge missed: a source merged away, its removal cut by a crash, yields to any image", async () => {
  const a = await MergeNode.create(8), b = await MergeNode.create(9), logs: Logs = new Map();
  const fence = await prepared(a, b, logs);
  const target = region(a, 2).descriptor, source = region(a, 3).descriptor;
  assert.equal((await run(a, logs, 2, commit(target, source, fence, logs)))?.kind, "merged");
  assert.equal((await run(a, logs, 2, split(region(a, 2).descriptor, "h", 4)))?.kind, "split");
  // B applies it all, but its replica of region 4 is not there (removed, or not created yet),
  // while region 3's descriptor is: merged away, the removal (descriptor last) not run.
  await b.replay(logs);
  assert.equal(readMergeState(b.db, 3)?.stage, "merged");
  await b.db.write([{ type: "del", key: descriptorKey(4) }]);
  const image = await imageOf(a, 4);
  const { descriptor } = await imageHead(4, image);
  assert.ok(overlaps(descriptor, region(b, 3).descriptor));
  assert.deepEqual(mayInstallImage(b.db, descriptor), { ok: true });
  // The import took it for a live overlap and threw, which stopped the node (region seed 56).
  assert.equal(await installRegionImage(b.db, 4, image), region(a, 4).appliedIndex);
});

test("merge missed: a source re-made by a replayed split yields to its target's image", async () => {
  const a = await MergeNode.create(10), b = await MergeNode.create(11), logs: Logs = new Map();
  for (const k of ["a", "h", "k", "q", "r"]) await run(a, logs, 1, put(k, `v1-${k}`));
  assert.equal((await run(a, logs, 1, split(region(a, 1).descriptor, "g", 2)))?.kind, "split");
  assert.equal((await run(a, logs, 2, split(region(a, 2).descriptor, "p", 3)))?.kind, "split");
  // B applies the splits only: its region 3 is as a replayed split makes it, never prepared.
  const c = await MergeNode.create(12);
  for (const n of [b, c]) for (const id of [1, 2]) assert.ok(await n.catchUp(logs, id));
  assert.equal(region(b, 3).merge, undefined);
  const source = region(a, 3).descriptor, target = region(a, 2).descriptor;
  assert.equal((await run(a, logs, 3, prepare(source, target)))?.kind, "merge-prepared");
  const fence = region(a, 3).appliedIndex;
  const prepared = region(a, 3).descriptor; // the prepare moved its epoch
  assert.equal((await run(a, logs, 2, commit(target, prepared, fence, logs)))?.kind, "merged");
  await run(a, logs, 2, put("q", "v2-q"));
  const image = await imageOf(a, 2);
  const head = await imageHead(2, image);
  assert.deepEqual(head.absorbed, [3], "the image names the source its region took in");
  // Without that proof the re-made source holds the range against every image of region 2.
  assert.deepEqual(mayReplaceImage(b.db, head.descriptor), { ok: false, overlaps: 3 });
  assert.deepEqual(mayReplaceImage(b.db, head.descriptor, head.absorbed), { ok: true });
  // So for a node whose replica of region 2 is gone (an uninitialized one takes the image).
  await c.db.write([{ type: "del", key: descriptorKey(2) }]);
  assert.deepEqual(mayInstallImage(c.db, head.descriptor), { ok: false, overlaps: 3 });
  assert.deepEqual(mayInstallImage(c.db, head.descriptor, undefined, head.absorbed), { ok: true });
  assert.equal(await installRegionImage(b.db, 2, image), region(a, 2).appliedIndex);
  b.regions.delete(2);
  await b.openRegions();
  const hosted = [...b.regions].map(([id, kv]) => ({ id, kv }));
  const dropped: number[] = [];
  await mergedByImage(b.db, region(b, 2).descriptor, hosted, (id) => dropped.push(id));
  assert.deepEqual(dropped, [3], "the re-made source is merged away");
  assert.equal(readMergeState(b.db, 3)?.stage, "merged", "on the engine before its removal");
  assert.equal(readMergeState(b.db, 3)?.fence, fence);
  const q = region(b, 2).kv.get(new TextEncoder().encode("q"))?.value;
  assert.equal(new TextDecoder().decode(q), "v2-q", "the source's keys are the image's");
});

test("merge missed: a re-made source yields to the image of its target's child too", async () => {
  const a = await MergeNode.create(13), c = await MergeNode.create(14), logs: Logs = new Map();
  for (const k of ["a", "h", "k", "q", "r"]) await run(a, logs, 1, put(k, `v1-${k}`));
  assert.equal((await run(a, logs, 1, split(region(a, 1).descriptor, "g", 2)))?.kind, "split");
  assert.equal((await run(a, logs, 2, split(region(a, 2).descriptor, "p", 3)))?.kind, "split");
  // C applies the splits only, as a wiped node replaying region 1's and 2's logs does.
  for (const id of [1, 2]) assert.ok(await c.catchUp(logs, id));
  const source = region(a, 3).descriptor, target = region(a, 2).descriptor;
  assert.equal((await run(a, logs, 3, prepare(source, target)))?.kind, "merge-prepared");
  const fence = region(a, 3).appliedIndex;
  const prepared = region(a, 3).descriptor;
  assert.equal((await run(a, logs, 2, commit(target, prepared, fence, logs)))?.kind, "merged");
  // The target [g, ) splits at "q": its child 4 [q, ) holds part of the source's old range.
  assert.equal((await run(a, logs, 2, split(region(a, 2).descriptor, "q", 4)))?.kind, "split");
  assert.equal(readMergedSource(a.db, 4, 3), fence, "the split copied the proof to its child");
  const image = await imageOf(a, 4);
  const head = await imageHead(4, image);
  assert.deepEqual(head.absorbed, [3]);
  assert.equal(head.absorbedInto?.get(3), 2, "the copy names the region the merge took it into");
  const may = (at: MergeNode) =>
    mayInstallImage(at.db, head.descriptor, undefined, yieldingAbsorbed(at.db, head));
  // C still holds region 2 short of the commit: region 2 here needs the source's state to apply
  // it, so the source stays and the child's image waits (sim seeds 11 and 33 with merges: dropped
  // for it, region 2 here went on without the source — a stale read, replicas that differed).
  assert.deepEqual(may(c), { ok: false, overlaps: 3 });
  const hosted = () => [...c.regions].map(([id, kv]) => ({ id, kv }));
  // Region 2 gone from C (dropped, as a target whose source lost its log is): only a child's image
  // reaches it now (placement put region 4 there), and without the copied proof C refused it for
  // ever (sim seed 159 with merges).
  await c.db.write([{ type: "del", key: descriptorKey(2) }]);
  c.regions.delete(2);
  assert.deepEqual(mayInstallImage(c.db, head.descriptor), { ok: false, overlaps: 3 });
  assert.deepEqual(may(c), { ok: true });
  assert.equal(await installRegionImage(c.db, 4, image), region(a, 4).appliedIndex);
  await c.openRegions();
  const dropped: number[] = [];
  await mergedByImage(c.db, region(c, 4).descriptor, hosted(), (id) => dropped.push(id));
  assert.deepEqual(dropped, [3], "the re-made source is merged away");
  const r = region(c, 4).kv.get(new TextEncoder().encode("r"))?.value;
  assert.equal(new TextDecoder().decode(r), "v1-r", "the child's keys are the image's");
});

test("merge missed: a split names the target in the records it copies, old ones too", async () => {
  const a = await MergeNode.create(15), logs: Logs = new Map();
  for (const k of ["a", "h", "q"]) await run(a, logs, 1, put(k, `v1-${k}`));
  assert.equal((await run(a, logs, 1, split(region(a, 1).descriptor, "g", 2)))?.kind, "split");
  // A record from before session 24: the fence alone (8 bytes), region 2's own.
  const old = new Uint8Array(8);
  old[7] = 42;
  await a.db.write([{ type: "put", key: mergedSourceKey(2, 9), value: old }]);
  assert.deepEqual(readMergedSourceRecord(a.db, 2, 9), { fence: 42, target: 2 });
  assert.equal((await run(a, logs, 2, split(region(a, 2).descriptor, "p", 3)))?.kind, "split");
  // The child's copy names region 2, not itself: a node holding region 2 short of that commit
  // keeps the source for it (yieldingAbsorbed).
  assert.deepEqual(readMergedSourceRecord(a.db, 3, 9), { fence: 42, target: 2 });
  assert.deepEqual(readMergedSourceRecord(a.db, 2, 9), { fence: 42, target: 2 }, "kept by both");
});
