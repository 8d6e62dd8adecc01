/**
 * Lease key counts with regions (docs/regions.md "The node holding many regions"): each region's
 * lease table counts the attached keys of its own range only, so a revoke in region 1 counts the
 * same on every replica, however the node got its regions (applied the split itself, or installed
 * each region's image at a different time). Leased keys now stay in region 1 (a split never moves
 * one: region_leased_keys.ts), so region 2 counts none of lease 1's keys; counted node-wide, it
 * would count region 1's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RegionKv } from "../../src/kv/region_apply.ts";
import { importRegionSnapshot } from "../../src/kv/region_snapshot_import.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db } from "../../src/storage/db.ts";
import { b, cmd, decodeOutcome } from "./kv_helpers.ts";
import { imageOf, twoRegions } from "./region_import_helpers.ts";

const revoke = (id: number) => cmd({ body: { case: "leaseRevoke", value: { id: BigInt(id) } } });

async function apply(kv: RegionKv, data: Uint8Array) {
  const index = kv.kv.appliedIndex + 1;
  const outcomes = await kv.apply([{ index, data }]);
  return decodeOutcome(outcomes.get(index));
}

test("lease counts: a split leaves each region counting its own range's keys", async () => {
  // Lease 1 holds "k" and "j", both in region 1 (below the split key "m").
  const { db, r1, r2 } = await twoRegions(11, true);
  assert.equal(r1.kv.leaseTable.keyCount(1), 2, "region 1 counts k and j");
  assert.equal(r2.kv.leaseTable.keyCount(1), 0, "region 2 counts none of them");
  const out = await apply(r1, revoke(1));
  assert.equal(out.error, undefined, "the revoke succeeds");
  assert.equal(r1.kv.leaseTable.get(1), undefined);
  assert.equal(r1.kv.get(b("k")), undefined);
  assert.equal(r1.kv.get(b("j")), undefined, "j is deleted too");
  await db.close();
});

test("lease counts: region 1 opened from its image before region 2's image came can revoke", async () => {
  const source = await twoRegions(12, true);
  const world = createSimWorld(13);
  world.fs.mkdir("fresh");
  const db = await Db.open(world.fs, "fresh", { wal: false, seed: 1 });
  // A new node's store (region 1, empty), then region 1's image, and its state machine
  // reopened over it (as a wiped node rejoining: engine_holder.ts reopenFirst).
  (await RegionKv.open(db, 1, { voters: [1] })).kv.garbage.stop();
  const d1 = source.r1.descriptor, d2 = source.r2.descriptor;
  await importRegionSnapshot(db, imageOf(source.db, d1, source.r1.kv.appliedIndex));
  const r1 = await RegionKv.open(db, 1);
  r1.kv.garbage.stop();
  // Region 2's image later: it brings lease records and keys of its own range only.
  await importRegionSnapshot(db, imageOf(source.db, d2, source.r2.kv.appliedIndex));
  const r2 = await RegionKv.open(db, 2);
  r2.kv.garbage.stop();
  assert.equal(r1.kv.leaseTable.keyCount(1), 2);
  assert.equal(r2.kv.leaseTable.keyCount(1), 0);
  // The revoke deletes both keys; counted node-wide, a region's count could go below what its
  // own revoke deletes and the node stopped ("lease 1: key count off by -1").
  const out = await apply(r1, revoke(1));
  assert.equal(out.error, undefined, "the revoke succeeds");
  assert.equal(r1.kv.leaseTable.get(1), undefined);
  assert.equal(r1.kv.get(b("k")), undefined);
  assert.equal(r1.kv.get(b("j")), undefined, "j is deleted too");
  await db.close();
  await source.db.close();
});
