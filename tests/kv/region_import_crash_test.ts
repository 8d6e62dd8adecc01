/**
 * A region snapshot import cut by a crash at every engine batch: the next open finds either
 * the whole image or an empty, uninitialized replica (which a new import fills), and never
 * a change outside the region. Also uninitialized replicas created for a region learnt from a
 * peer (docs/regions.md "Region snapshots").
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RegionKv } from "../../src/kv/region_apply.ts";
import { createUninitializedReplica } from "../../src/kv/region_import_recovery.ts";
import { readImportMarker } from "../../src/kv/region_import_marker.ts";
import { openRegions } from "../../src/kv/region_open.ts";
import type { RegionDb } from "../../src/kv/region_range_clear.ts";
import { importRegionSnapshot } from "../../src/kv/region_snapshot_import.ts";
import { createSimWorld, type SimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db } from "../../src/storage/db.ts";
import { b } from "./kv_helpers.ts";
import { imageOf, installedLines, lines, ownedBy, twoRegions } from "./region_import_helpers.ts";

const BOUNDS = { ops: 4, bytes: 100 };

/** The engine with its `n`th write refused (the batch is not written), flushed after each. */
function cutAt(db: Db, n: number): RegionDb {
  let writes = 0;
  return {
    get: (k) => db.get(k),
    scanSync: (o) => db.scanSync(o),
    flush: () => db.flush(),
    async write(ops) {
      if (++writes === n) throw new Error("crash");
      await db.write(ops);
      await db.flush();
    },
  };
}

/** A world whose engine holds exactly `entries`. */
async function worldWith(seed: number, entries: [Uint8Array, Uint8Array][]): Promise<SimWorld> {
  const world = createSimWorld(seed);
  world.fs.mkdir("kv");
  const db = await Db.open(world.fs, "kv", { wal: false });
  await db.write(entries.map(([key, value]) => ({ type: "put", key, value })));
  await db.flush();
  await db.close();
  return world;
}

async function open(db: Db): Promise<RegionKv[]> {
  const regions = await openRegions(db, [1]);
  for (const r of regions) r.kv.garbage.stop();
  return regions;
}

test("region snapshot import: a crash at any batch leaves the whole image or an empty replica", async () => {
  const target = await twoRegions(1, false);
  const source = await twoRegions(2, true);
  const d2 = source.r2.descriptor;
  const image = imageOf(source.db, d2, source.r2.kv.appliedIndex);
  const owned = ownedBy(d2);
  const want = await installedLines(source.db, d2, source.r2.kv.appliedIndex);
  const before = lines(target.db, owned);
  const entries = [...target.db.scanSync()];
  const seen = { untouched: 0, empty: 0 };
  for (let n = 1; n <= 200; n++) {
    const w = await worldWith(100 + n, entries);
    const db = await Db.open(w.fs, "kv", { wal: false });
    const done = await importRegionSnapshot(cutAt(db, n), image, BOUNDS).then(
      () => true,
      () => false,
    );
    // The old engine stops its background work first (every write it took is flushed).
    await db.close();
    w.fs.crash("lose");
    const after = await Db.open(w.fs, "kv", { wal: false });
    const regions = await open(after);
    assert.deepEqual(regions.map((r) => r.descriptor.id), [1, 2], `cut at write ${n}`);
    const got = lines(after, owned);
    // Outside region 2: as before, but for lease 5 once the image's records were written.
    const outside = got.outside.filter((l) => !l.startsWith("5,0,0,0,0,0,0,0,5="));
    assert.deepEqual(outside, before.outside, `cut at write ${n}: nothing else changed`);
    if (regions[1].awaitingSnapshot) {
      seen.empty++;
      assert.equal(got.inside.length, 2, `cut at write ${n}: only the descriptor and the marker`);
      assert.equal(regions[1].kv.appliedIndex, 0);
      assert.deepEqual(regions[1].descriptor, d2);
      await importRegionSnapshot(after, image, BOUNDS); // the new snapshot fills it
      assert.equal(readImportMarker(after, 2), undefined);
    } else if (!done) {
      seen.untouched++;
      assert.deepEqual(got.inside, before.inside, `cut at write ${n}: before the marker`);
      await importRegionSnapshot(after, image, BOUNDS);
    }
    assert.deepEqual(lines(after, owned).inside, want, `cut at write ${n}: the source's region`);
    await after.close();
    if (done) {
      assert.ok(
        seen.empty > 10 && seen.untouched === 1,
        `cuts inside the import: ${JSON.stringify(seen)}`,
      );
      return;
    }
  }
  assert.fail("the import never finished");
});

test("an uninitialized replica: created empty, refused on overlap, filled by a snapshot", async () => {
  const source = await twoRegions(3, true);
  const d2 = source.r2.descriptor;
  const world = createSimWorld(4);
  world.fs.mkdir("kv");
  const db = await Db.open(world.fs, "kv", { wal: false });
  await createUninitializedReplica(db, d2);
  const overlapping = { ...d2, id: 7, start: b("n"), end: b("q") };
  await assert.rejects(createUninitializedReplica(db, overlapping), /overlaps local region 2/);
  await assert.rejects(createUninitializedReplica(db, d2), /already on this node/);
  await assert.rejects(
    createUninitializedReplica(db, { ...d2, id: 8, start: b("z"), end: b("a") }),
    { name: "InvalidArgumentError" },
  );
  const [empty] = await open(db);
  assert.deepEqual([empty.descriptor, empty.awaitingSnapshot, empty.kv.appliedIndex], [
    d2,
    true,
    0,
  ]);
  assert.equal(empty.kv.get(b("n")), undefined);
  await importRegionSnapshot(db, imageOf(source.db, d2, source.r2.kv.appliedIndex));
  const owned = ownedBy(d2);
  const want = await installedLines(source.db, d2, source.r2.kv.appliedIndex);
  assert.deepEqual(lines(db, owned).inside, want);
  const [filled] = await open(db);
  assert.equal(filled.awaitingSnapshot, false);
  assert.equal(filled.kv.appliedIndex, source.r2.kv.appliedIndex);
  // A replica whose range no local region holds is allowed next to it.
  await createUninitializedReplica(db, { ...d2, id: 9, start: new Uint8Array(0), end: b("m") });
  assert.deepEqual((await open(db)).map((r) => [r.descriptor.id, r.awaitingSnapshot]), [
    [2, false],
    [9, true],
  ]);
  await db.close();
});
