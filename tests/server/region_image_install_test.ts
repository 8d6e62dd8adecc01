/**
 * Region images installed in bounded steps (src/server/node/region_image_install.ts): the
 * engine's lock is released between the steps, so the node's other work runs while a large
 * image installs; installs run one at a time; the result is the image's, as installed at once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RegionKv } from "../../src/kv/region_apply.ts";
import { REGION_IMPORT_BATCH_OPS } from "../../src/limits_ops.ts";
import { RealClock } from "../../src/platform/real_clock.ts";
import type { Db } from "../../src/storage/db.ts";
import { RegionImageInstaller } from "../../src/server/node/region_image_install.ts";
import { installRegionImage } from "../../src/server/node/region_snapshots.ts";
import { mayInstallImage, mayReplaceImage } from "../../src/server/node/region_image_screen.ts";
import { NoSpaceError } from "../../src/util/errors.ts";
import { descriptorKey, encodeDescriptor } from "../../src/kv/region_descriptor_record.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { lines, ownedBy, twoRegions } from "../kv/region_import_helpers.ts";
import { lockedHolder, regionTwoImage } from "./region_image_helpers.ts";

test("region image install: other locked work runs between its steps; the result is the image's", async () => {
  const { image, index } = await regionTwoImage(REGION_IMPORT_BATCH_OPS * 2);
  const paced = await twoRegions(31, false);
  const atOnce = await twoRegions(31, false);
  const engine = lockedHolder(paced.db);
  const installer = new RegionImageInstaller(() => engine, new RealClock());
  let done = false, between = 0, whileInstalling = 0;
  const install = installer.install(2, image, async (db, at) => {
    assert.equal(at, index);
    return (await RegionKv.open(db, 2)).kv.appliedIndex;
  }).finally(() => done = true);
  // Another region's applies, as the node queues them on the engine's lock: each one waits
  // for the step in progress only, not for the whole install.
  for (let i = 0; i < 10_000 && !done; i++) {
    await engine.locked(() => Promise.resolve(between++));
    if (installer.installing(2)) whileInstalling++;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  assert.equal(await install, index);
  assert.ok(installer.counts.steps >= 4, `steps: ${installer.counts.steps}`);
  assert.ok(whileInstalling >= 2, `locked tasks ran between steps: ${whileInstalling}`);
  assert.equal(installer.installing(2), false);
  assert.equal(installer.counts.installed, 1);

  assert.equal(await installRegionImage(atOnce.db, 2, image), index);
  const d = (await RegionKv.open(paced.db, 2)).descriptor;
  assert.deepEqual(lines(paced.db, ownedBy(d)), lines(atOnce.db, ownedBy(d)));
  assert.deepEqual(lines(paced.db, () => true), lines(atOnce.db, () => true));
});

test("region image install: installs run one at a time, in order; a bad image fails alone", async () => {
  const { image, index } = await regionTwoImage(100);
  const target = await twoRegions(31, false);
  const installer = new RegionImageInstaller(() => lockedHolder(target.db), new RealClock());
  const order: string[] = [];
  const bad = image.slice();
  bad[bad.length - 1] ^= 0xff; // the checksum no longer matches
  const first = installer.install(2, bad, () => Promise.resolve(order.push("bad")));
  const second = installer.install(2, image, async (db) => {
    order.push("good");
    return (await RegionKv.open(db, 2)).kv.appliedIndex;
  });
  assert.equal(installer.installing(2), true);
  await assert.rejects(first, /checksum/);
  assert.equal(await second, index);
  assert.deepEqual(order, ["good"]);
  assert.equal(installer.installing(2), false);
});

test("region image install: an install the disk has no room for starts over and completes", async () => {
  const { image, index } = await regionTwoImage(REGION_IMPORT_BATCH_OPS);
  const target = await twoRegions(31, false);
  const reference = await twoRegions(31, false);
  let writes = 0;
  const full = new Set([3, 5]); // the third and fifth writes fail: mid-import, then mid-retry
  const db = {
    get: target.db.get.bind(target.db),
    scanSync: target.db.scanSync.bind(target.db),
    flush: target.db.flush.bind(target.db),
    write: (ops: Parameters<Db["write"]>[0]) => {
      if (full.has(++writes)) return Promise.reject(new NoSpaceError("region image test"));
      return target.db.write(ops);
    },
  };
  const installer = new RegionImageInstaller(() => lockedHolder(db), new RealClock());
  const opened = await installer.install(
    2,
    image,
    async () => (await RegionKv.open(target.db, 2)).kv,
  );
  assert.equal(opened.appliedIndex, index);
  assert.equal(installer.counts.diskRetries, 2);
  await installRegionImage(reference.db, 2, image);
  assert.deepEqual(lines(target.db, () => true), lines(reference.db, () => true));
});

test("region image screen: an image of a region whose old replica is still clearing is let through", async () => {
  const target = await twoRegions(31, false);
  const local = (await RegionKv.open(target.db, 2)).descriptor;
  const clearing = (id: number) => id === 2;
  assert.deepEqual(mayInstallImage(target.db, local), { ok: false, overlaps: 2 });
  assert.deepEqual(mayInstallImage(target.db, local, clearing), { ok: true });
  // Only the same region: another over its range is refused while its old replica clears.
  assert.deepEqual(mayInstallImage(target.db, { ...local, id: 9 }, clearing), {
    ok: false,
    overlaps: 2,
  });
});

test("region image screen: an image that would grow a hosted region over another local one is dropped", async () => {
  const target = await twoRegions(31, false);
  const two = (await RegionKv.open(target.db, 2)).descriptor;
  assert.deepEqual(mayReplaceImage(target.db, two), { ok: true }, "its own range: installed");
  // Region 2's image reaching back over region 1 (a merge or split this node has not applied).
  const grown = { ...two, start: new Uint8Array(0), epoch: { ...two.epoch, version: 9 } };
  assert.deepEqual(mayReplaceImage(target.db, grown), { ok: false, overlaps: 1 });
});

test("region image install: an image overlapping another local region waits for it to leave", async () => {
  const { image, index } = await regionTwoImage(100);
  const target = await twoRegions(31, false);
  // Region 9 in region 2's range (a region this node has not cleared yet, say).
  const two = (await RegionKv.open(target.db, 2)).descriptor;
  const nine = { ...two, id: 9, start: utf8("p"), end: utf8("q") };
  await target.db.write([{ type: "put", key: descriptorKey(9), value: encodeDescriptor(nine) }]);
  const installer = new RegionImageInstaller(() => lockedHolder(target.db), new RealClock());
  let done = false;
  const install = installer.install(2, image, async (db) => (await RegionKv.open(db, 2)).kv)
    .finally(() => done = true);
  for (let i = 0; i < 200 && installer.counts.overlapRetries === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.ok(installer.counts.overlapRetries >= 1, "queued again, not failed");
  assert.equal(done, false);
  // Still installing through its backoff: a replica released meanwhile would be hosted off the
  // driver by the install ("region 9 is not on the driver", a node test in CI).
  assert.equal(installer.installing(2), true);
  await target.db.write([{ type: "del", key: descriptorKey(9) }]); // region 9 left
  assert.equal((await install).appliedIndex, index);
});
