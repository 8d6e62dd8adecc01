/**
 * An image of a region merged away here (src/server/node/merged_image.ts). Node B applied the
 * merge of region 3 into region 2; a crash cut the removal of its region 3 and took the logs, so
 * the replicas of region 3 came back at the next open as a group of their own, whose leader (A)
 * sent B its image. The import refuses it (region 2 holds its range now), and a throw out of a
 * restore stopped B at every restart (the simulator's seeds 16, 24 and 50 with
 * `--region-merge-bytes`). The replica skips the image instead: nothing of the engine changes
 * but its applied index, which moves to the image's, so the entries after it apply (a restore
 * that only returned left a gap: "apply gap: entry 166 after 163", the node stopped again), and
 * on disk before Raft keeps the snapshot.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeRegionCommand } from "../../src/kv/region_command.ts";
import type { RegionKv } from "../../src/kv/region_apply.ts";
import { regionKeys } from "../../src/kv/region_keys.ts";
import { MERGED_IMAGE_SKIP_BATCH } from "../../src/limits_ops.ts";
import type { RegionDescriptor } from "../../src/region/descriptor.ts";
import type { Logger } from "../../src/server/log/logger.ts";
import { skipsImage } from "../../src/server/node/merged_image.ts";
import {
  imageHead,
  installRegionImage,
  regionImageSource,
} from "../../src/server/node/region_snapshots.ts";
import { concatBytes, fromUtf8 } from "../../src/util/bytes.ts";
import { b, dump, put } from "../kv/kv_helpers.ts";
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

const logger = { info() {}, warn() {} } as unknown as Logger;
const engineOf = (node: MergeNode) => ({
  db: node.db,
  locked: <T>(run: () => Promise<T>) => run(),
});

const split = splitCommand;

const routed = (r: RegionDescriptor, command: Uint8Array) =>
  encodeRegionCommand({ kind: "routed", regionId: r.id, epoch: r.epoch, command });

const region = regionOf;

async function imageOf(node: MergeNode, id: number): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  const source = regionImageSource(() => node.db, id, () => region(node, id).descriptor);
  for await (const piece of source()) pieces.push(piece);
  return concatBytes(pieces);
}

/** Regions 1 [, g), 2 [g, p), 3 [p, ) on A and B, 3 merged into 2 on both. */
async function mergedOnBoth(a: MergeNode, bNode: MergeNode, logs: Logs): Promise<void> {
  for (const k of ["a", "h", "q"]) await run(a, logs, 1, put(k, `v1-${k}`));
  assert.equal((await run(a, logs, 1, split(region(a, 1).descriptor, "g", 2)))?.kind, "split");
  assert.equal((await run(a, logs, 2, split(region(a, 2).descriptor, "p", 3)))?.kind, "split");
  await run(a, logs, 3, routed(region(a, 3).descriptor, put("r", "v1-r")));
  const source = region(a, 3).descriptor, target = region(a, 2).descriptor;
  assert.equal((await run(a, logs, 3, prepareCommand(source, target)))?.kind, "merge-prepared");
  const fence = region(a, 3).appliedIndex;
  const commit = commitCommand(target, region(a, 3).descriptor, fence, logUpTo(logs, 3, fence));
  assert.equal((await run(a, logs, 2, commit))?.kind, "merged");
  await bNode.replay(logs);
  assert.equal(region(bNode, 3).merge?.stage, "merged");
}

test("merged image: a replica merged away skips its region's image and applies on", async () => {
  const a = await MergeNode.create(21), bNode = await MergeNode.create(22), logs: Logs = new Map();
  await mergedOnBoth(a, bNode, logs);
  // A's region 3, back as a group of its own, applies entries B's log never got (its writes are
  // refused: merged away), then sends its image.
  const data = routed(region(a, 3).descriptor, put("r", "v2-r"));
  for (let i = 0; i < 3; i++) await run(a, logs, 3, data);
  const image = await imageOf(a, 3);
  const { index } = await imageHead(3, image);
  assert.ok(index > region(bNode, 3).appliedIndex);
  // Installed, it overlaps region 2: the import throws, which stopped the node.
  await assert.rejects(() => installRegionImage(bNode.db, 3, image), /overlaps local region 2/);
  await bNode.db.flush();
  const before = await dump(bNode.db);
  assert.equal(await skipsImage(region(bNode, 3), index, engineOf(bNode), logger), true);
  assert.equal(region(bNode, 3).appliedIndex, index);
  // On disk before Raft keeps the snapshot: a crash right after keeps it (the log replays from
  // there; an engine behind it stopped the node, "apply gap", simulator seed 21).
  await bNode.crash();
  assert.equal(region(bNode, 3).appliedIndex, index);
  // Nothing but region 3's own records changed; region 2 still holds its keys.
  const local = regionKeys(3);
  const outside = (lines: string[]) =>
    lines.filter((l) => !l.startsWith(`${[...local.prefix].join(",")},`));
  assert.deepEqual(outside(await dump(bNode.db)), outside(before));
  const v = region(bNode, 2).kv.get(b("r"));
  assert.equal(v === undefined ? undefined : fromUtf8(v.value), "v1-r");
  // The entry after the image applies (a gap stopped the node).
  const next = await region(bNode, 3).apply([{ index: index + 1, data }]);
  assert.ok(next.has(index + 1));
  assert.equal(region(bNode, 3).appliedIndex, index + 1);
  // An image far ahead is skipped in batches of MERGED_IMAGE_SKIP_BATCH entries.
  const far = index + 1 + 2 * MERGED_IMAGE_SKIP_BATCH + 7;
  const applies: number[] = [];
  const r3 = region(bNode, 3);
  const counted = {
    merge: r3.merge,
    descriptor: r3.descriptor,
    get appliedIndex() {
      return r3.appliedIndex;
    },
    apply: (entries: Parameters<RegionKv["apply"]>[0]) => {
      applies.push(entries.length);
      return r3.apply(entries);
    },
  };
  assert.equal(await skipsImage(counted, far, engineOf(bNode), logger), true);
  assert.equal(r3.appliedIndex, far);
  assert.deepEqual(applies, [MERGED_IMAGE_SKIP_BATCH, MERGED_IMAGE_SKIP_BATCH, 7]);
});

test("merged image: a region not merged away installs its images as before", async () => {
  const a = await MergeNode.create(23), bNode = await MergeNode.create(24), logs: Logs = new Map();
  await mergedOnBoth(a, bNode, logs);
  for (const id of [1, 2]) {
    const r = region(bNode, id), applied = r.appliedIndex;
    assert.equal(await skipsImage(r, applied + 5, engineOf(bNode), logger), false);
    assert.equal(r.appliedIndex, applied, "not moved");
  }
});
